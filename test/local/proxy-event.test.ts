import { buildProxyEvent, clfTime, isTextual, type ProxyEventInput } from '../../local/proxy-event';

const KEY = `sk_live_${'0'.repeat(72)}`;

function input(overrides: Partial<ProxyEventInput> = {}): ProxyEventInput {
  return {
    method: 'POST',
    path: '/v1/keys/key_1/revoke',
    resource: '/v1/keys/{id}/revoke',
    pathParameters: { id: 'key_1' },
    query: new URLSearchParams(),
    headers: { host: 'localhost:3000', authorization: `Bearer ${KEY}`, 'user-agent': 'curl/8.5.0' },
    body: undefined,
    accountId: '000000000000',
    apiId: 'keygate',
    stage: 'prod',
    requestId: 'req-1',
    resourceId: 'abc123',
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    receivedAt: new Date('2001-04-09T12:34:56.789Z'),
    authorizer: {
      principalId: 'key_1',
      context: { tenantId: 't_1', keyId: 'key_1', environment: 'live', role: 'owner', plan: 'starter' },
      integrationLatency: 12,
    },
    ...overrides,
  };
}

describe('buildProxyEvent', () => {
  it('carries the resource template, the request path and the method', () => {
    const event = buildProxyEvent(input());
    expect(event.resource).toBe('/v1/keys/{id}/revoke');
    expect(event.path).toBe('/v1/keys/key_1/revoke');
    expect(event.httpMethod).toBe('POST');
    expect(event.pathParameters).toEqual({ id: 'key_1' });
    expect(event.stageVariables).toBeNull();
  });

  it('sets pathParameters to null when the template has none', () => {
    expect(buildProxyEvent(input({ pathParameters: {} })).pathParameters).toBeNull();
  });

  it('sets both query maps to null when there is no query string', () => {
    const event = buildProxyEvent(input());
    expect(event.queryStringParameters).toBeNull();
    expect(event.multiValueQueryStringParameters).toBeNull();
  });

  it('keeps the last value of a repeated query parameter and all of them in the multi-value map', () => {
    const event = buildProxyEvent(input({ query: new URLSearchParams('limit=10&tag=a&tag=b%20c') }));
    expect(event.queryStringParameters).toEqual({ limit: '10', tag: 'b c' });
    expect(event.multiValueQueryStringParameters).toEqual({ limit: ['10'], tag: ['a', 'b c'] });
  });

  it('passes headers through, Authorization included, in both maps', () => {
    const event = buildProxyEvent(input());
    expect(event.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(event.multiValueHeaders.authorization).toEqual([`Bearer ${KEY}`]);
    expect(event.headers.host).toBe('localhost:3000');
  });

  it('writes nothing to the console or stdout while building an event carrying a key', () => {
    const spies = [
      jest.spyOn(console, 'log'),
      jest.spyOn(console, 'info'),
      jest.spyOn(console, 'warn'),
      jest.spyOn(console, 'error'),
      jest.spyOn(console, 'debug'),
      jest.spyOn(process.stdout, 'write'),
      jest.spyOn(process.stderr, 'write'),
    ];
    try {
      buildProxyEvent(input());
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });

  it('keeps the last value of a repeated header and all of them in the multi-value map', () => {
    const event = buildProxyEvent(
      input({ headers: { 'x-tag': ['one', 'two'], 'Set-Cookie': ['a=1', 'b=2'], skipped: undefined } }),
    );
    expect(event.headers['x-tag']).toBe('two');
    expect(event.multiValueHeaders['x-tag']).toEqual(['one', 'two']);
    expect(event.headers['set-cookie']).toBe('b=2');
    expect(event.headers).not.toHaveProperty('skipped');
  });

  it('fills requestContext as API Gateway does', () => {
    const { requestContext } = buildProxyEvent(input());
    expect(requestContext).toMatchObject({
      accountId: '000000000000',
      apiId: 'keygate',
      stage: 'prod',
      requestId: 'req-1',
      httpMethod: 'POST',
      path: '/prod/v1/keys/key_1/revoke',
      resourcePath: '/v1/keys/{id}/revoke',
      resourceId: 'abc123',
      protocol: 'HTTP/1.1',
      requestTimeEpoch: Date.parse('2001-04-09T12:34:56.789Z'),
      requestTime: '09/Apr/2001:12:34:56 +0000',
    });
  });

  it('derives a stable six-character resource id from the template when none is given', () => {
    const first = buildProxyEvent(input({ resourceId: undefined })).requestContext.resourceId;
    const again = buildProxyEvent(input({ resourceId: undefined })).requestContext.resourceId;
    const other = buildProxyEvent(input({ resourceId: undefined, resource: '/v1/me' })).requestContext.resourceId;
    expect(first).toMatch(/^[0-9a-z]{6}$/);
    expect(again).toBe(first);
    expect(other).not.toBe(first);
  });

  it('fills identity with the source IP and user agent and nulls the rest', () => {
    const { identity } = buildProxyEvent(input()).requestContext;
    expect(identity.sourceIp).toBe('127.0.0.1');
    expect(identity.userAgent).toBe('curl/8.5.0');
    expect(identity.apiKey).toBeNull();
    expect(identity.caller).toBeNull();
    expect(identity.userArn).toBeNull();
  });

  it('sets userAgent to null when the request has none', () => {
    expect(buildProxyEvent(input({ headers: {} })).requestContext.identity.userAgent).toBeNull();
  });

  it('puts the authorizer context, principalId and integrationLatency in requestContext.authorizer', () => {
    expect(buildProxyEvent(input()).requestContext.authorizer).toEqual({
      tenantId: 't_1',
      keyId: 'key_1',
      environment: 'live',
      role: 'owner',
      plan: 'starter',
      principalId: 'key_1',
      integrationLatency: 12,
    });
  });

  it('stringifies numbers and booleans in the authorizer context, as API Gateway does', () => {
    const authorizer = {
      principalId: 'p',
      context: { count: 3, flag: true, none: null, gone: undefined },
      integrationLatency: 0,
    };
    expect(buildProxyEvent(input({ authorizer })).requestContext.authorizer).toEqual({
      count: '3',
      flag: 'true',
      none: null,
      principalId: 'p',
      integrationLatency: 0,
    });
  });

  it('does not let a context field override principalId', () => {
    const authorizer = { principalId: 'real', context: { principalId: 'forged' }, integrationLatency: 0 };
    expect(buildProxyEvent(input({ authorizer })).requestContext.authorizer?.principalId).toBe('real');
  });

  it('sets body to null when there is none or it is empty', () => {
    expect(buildProxyEvent(input()).body).toBeNull();
    const empty = buildProxyEvent(input({ body: Buffer.alloc(0) }));
    expect(empty.body).toBeNull();
    expect(empty.isBase64Encoded).toBe(false);
  });

  it('passes a JSON body as UTF-8 text', () => {
    const event = buildProxyEvent(
      input({ headers: { 'content-type': 'application/json; charset=utf-8' }, body: Buffer.from('{"name":"café"}') }),
    );
    expect(event.body).toBe('{"name":"café"}');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('passes a body without a content type as text', () => {
    const event = buildProxyEvent(input({ headers: {}, body: Buffer.from('{"name":"x"}') }));
    expect(event.body).toBe('{"name":"x"}');
    expect(event.isBase64Encoded).toBe(false);
  });

  it('base64-encodes a body whose content type is not textual', () => {
    const bytes = Buffer.from([0xff, 0x00, 0x10, 0x80]);
    const event = buildProxyEvent(input({ headers: { 'content-type': 'application/octet-stream' }, body: bytes }));
    expect(event.isBase64Encoded).toBe(true);
    expect(Buffer.from(event.body ?? '', 'base64')).toEqual(bytes);
  });
});

describe('isTextual', () => {
  it('counts text, JSON, XML and form types as text', () => {
    for (const type of [
      'text/plain',
      'application/json',
      'application/problem+json',
      'APPLICATION/JSON; charset=utf-8',
      'application/xml',
      'application/atom+xml',
      'application/x-www-form-urlencoded',
      undefined,
      '',
    ]) {
      expect(isTextual(type)).toBe(true);
    }
  });

  it('counts binary types as not text', () => {
    for (const type of [
      'application/octet-stream',
      'image/png',
      'application/pdf',
      'multipart/form-data; boundary=x',
    ]) {
      expect(isTextual(type)).toBe(false);
    }
  });
});

describe('clfTime', () => {
  it('formats in Common Log Format, UTC, zero-padded', () => {
    expect(clfTime(new Date('2004-01-02T03:04:05Z'))).toBe('02/Jan/2004:03:04:05 +0000');
  });
});
