import { ApiError } from '../../lambdas/core/http/errors';
import { emptySchema, parseBody, type ApiRequest } from '../../lambdas/core/http/http';
import { createKeySchema } from '../../lambdas/core/http/schemas/keys';
import { callerContext } from '../support/events';

const request = (body: string | undefined, headers?: Record<string, string>): ApiRequest => ({
  method: 'POST',
  resource: '/v1/keys',
  pathParameters: {},
  query: {},
  ...(headers === undefined ? {} : { headers }),
  body,
  caller: { ...callerContext() },
});

/** The error `parseBody` throws for a request, or `undefined` when it accepts it. */
const refusal = (req: ApiRequest): ApiError | undefined => {
  try {
    parseBody(req, createKeySchema);
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
};

const BODY = '{"name":"ci"}';

describe('request bodies are JSON, and say so in Content-Type', () => {
  it.each([
    ['application/json', 'application/json'],
    ['with charset=utf-8', 'application/json; charset=utf-8'],
    ['spelled in another case, charset quoted', 'Application/JSON;Charset="UTF-8"'],
  ])('takes a JSON body sent as %s', (_label, type) => {
    expect(parseBody(request(BODY, { 'content-type': type }), createKeySchema)).toEqual({ name: 'ci' });
  });

  it.each([
    ["curl -d's form encoding", 'application/x-www-form-urlencoded'],
    ['plain text', 'text/plain;charset=UTF-8'],
    ['another charset', 'application/json; charset=iso-8859-1'],
    ['a JSON-like type', 'application/json-patch+json'],
    ['an empty type', ''],
  ])('refuses a body sent as %s with 415 naming the expected type', (_label, type) => {
    const error = refusal(request(BODY, { 'content-type': type }));
    expect([error?.status, error?.code]).toEqual([415, 'unsupported_media_type']);
    expect(error?.message).toMatch(/application\/json/);
  });

  it('refuses a body without a Content-Type with 415', () => {
    expect(refusal(request(BODY, {}))?.status).toBe(415);
    expect(refusal(request(BODY))?.status).toBe(415);
  });

  it('never echoes the Content-Type it refuses', () => {
    const error = refusal(request(BODY, { 'content-type': 'text/secret-value' }));
    expect(error?.message).not.toContain('secret-value');
  });

  it('needs no Content-Type when there is no body', () => {
    const empty = (body: string | undefined) => parseBody(request(body, {}), emptySchema);
    expect(empty(undefined)).toEqual({});
    expect(empty('')).toEqual({});
  });

  it('answers 413 for a body too large whatever its type', () => {
    const error = refusal(request('x'.repeat(17 * 1024), { 'content-type': 'text/plain' }));
    expect(error?.status).toBe(413);
  });
});
