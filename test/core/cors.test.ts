import type { APIGatewayProxyEvent } from 'aws-lambda';
import {
  corsHeaders,
  originProblem,
  preflightHeaders,
  withCorsHeaders,
  CORS_ALLOW_HEADERS,
} from '../../lambdas/core/http/cors';
import { corsOriginsFromEnv, withCors } from '../../lambdas/runtime/cors';
import { ENV } from '../../lambdas/runtime/env-names';

const APP = 'https://app.example.com';
const DEV = 'http://localhost:5173';
const ORIGINS = [APP, DEV];

describe('originProblem', () => {
  it.each([APP, DEV, 'https://app.example.com:8443', 'http://127.0.0.1:3000', 'https://[::1]:8080'])(
    'accepts the origin %s',
    (origin) => {
      expect(originProblem(origin)).toBeUndefined();
    },
  );

  it.each([
    ['*', /"\*" would let every page/],
    ['https://app.example.com/', /did you mean https:\/\/app\.example\.com\?/],
    ['https://app.example.com/console', /no path.*did you mean https:\/\/app\.example\.com\?/],
    ['https://App.Example.com', /lower case.*did you mean https:\/\/app\.example\.com\?/],
    ['https://app.example.com:443', /did you mean https:\/\/app\.example\.com\?/],
    ['https://user@app.example.com', /did you mean https:\/\/app\.example\.com\?/],
    ['https://app.example.com?x=1', /did you mean/],
    ['app.example.com', /must be an origin/],
    ['null', /must be an origin/],
    ['chrome-extension://abcdef', /must be an origin/],
    ['https://*.example.com', /must be an origin/],
    ['https://a"b.example.com', /must be an origin/],
  ])('refuses %s', (entry, message) => {
    expect(originProblem(entry)).toMatch(message);
  });
});

describe('corsHeaders', () => {
  it('sends nothing without an allow-list', () => {
    expect(corsHeaders([], APP)).toEqual({});
  });

  it('echoes a listed origin, with Vary and the headers a page may read', () => {
    expect(corsHeaders(ORIGINS, DEV)).toEqual({
      vary: 'Origin',
      'access-control-allow-origin': DEV,
      'access-control-expose-headers': 'Retry-After,Idempotent-Replayed',
    });
  });

  it.each([
    ['an unlisted origin', 'https://evil.example.com'],
    ['a listed origin in another case', 'https://APP.example.com'],
    ['no Origin', undefined],
  ])('grants nothing to %s, and still varies on Origin', (_label, origin) => {
    expect(corsHeaders(ORIGINS, origin)).toEqual({ vary: 'Origin' });
  });
});

describe('preflightHeaders', () => {
  it("answers a listed origin with the resource's methods and the request headers keygate reads", () => {
    const headers = preflightHeaders(ORIGINS, APP, ['GET', 'POST']);
    expect(headers).toMatchObject({
      'access-control-allow-origin': APP,
      'access-control-allow-methods': 'GET,POST',
      'access-control-max-age': '3600',
      vary: 'Origin',
    });
    expect(headers['access-control-allow-headers'].split(',')).toEqual(
      expect.arrayContaining(['Authorization', 'Content-Type', 'Idempotency-Key']),
    );
    expect(headers['access-control-allow-credentials']).toBeUndefined();
  });

  it('grants nothing to an unlisted origin', () => {
    expect(preflightHeaders(ORIGINS, 'https://evil.example.com', ['GET'])).toEqual({ vary: 'Origin' });
  });

  it('keeps Content-Type among the allowed request headers, which JSON bodies need', () => {
    expect(CORS_ALLOW_HEADERS).toContain('Content-Type');
  });
});

describe('withCorsHeaders', () => {
  it('adds Origin to a Vary the answer already has instead of replacing it', () => {
    expect(withCorsHeaders({ Vary: 'Accept-Encoding', 'content-type': 'x' }, { vary: 'Origin' })).toEqual({
      Vary: 'Accept-Encoding, Origin',
      'content-type': 'x',
    });
  });
});

describe('withCors', () => {
  const event = (headers: Record<string, string>) => ({ headers }) as unknown as APIGatewayProxyEvent;
  const handler = async () => ({
    statusCode: 400,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: '{"error":{"code":"invalid_request","message":"x"}}',
  });

  it("puts the listed origin on the handler's answers, errors included, whatever the header's case", async () => {
    const answer = await withCors(handler, ORIGINS)(event({ origin: APP }));
    expect(answer.statusCode).toBe(400);
    expect(answer.headers).toMatchObject({
      'access-control-allow-origin': APP,
      vary: 'Origin',
      'content-type': 'application/json; charset=utf-8',
    });
    const spelled = await withCors(handler, ORIGINS)(event({ Origin: DEV }));
    expect(spelled.headers?.['access-control-allow-origin']).toBe(DEV);
  });

  it('adds no grant for an unlisted origin', async () => {
    const answer = await withCors(handler, ORIGINS)(event({ Origin: 'https://evil.example.com' }));
    expect(answer.headers?.['access-control-allow-origin']).toBeUndefined();
    expect(answer.headers?.vary).toBe('Origin');
  });

  it('leaves the handler as it is without origins', async () => {
    expect(withCors(handler, [])).toBe(handler);
  });
});

describe('corsOriginsFromEnv', () => {
  afterEach(() => {
    delete process.env[ENV.corsOrigins];
  });

  it('reads the list the constructs set, and none when it is absent', () => {
    expect(corsOriginsFromEnv()).toEqual([]);
    process.env[ENV.corsOrigins] = JSON.stringify(ORIGINS);
    expect(corsOriginsFromEnv()).toEqual(ORIGINS);
  });

  it('fails loudly on a value that is not a list of strings', () => {
    process.env[ENV.corsOrigins] = '{"a":1}';
    expect(() => corsOriginsFromEnv()).toThrow(/CORS_ORIGINS must be a JSON list/);
  });
});
