import type { Route } from '../../lambdas/core/http/routes';
import { matchRoute, methodArn } from '../../local/router';

// the contract's routes (DESIGN.md §4), plus a literal sibling of `{id}` to test precedence.
const ROUTES: readonly Route[] = [
  { method: 'POST', path: '/v1/keys', function: 'keys' },
  { method: 'GET', path: '/v1/keys', function: 'keys' },
  { method: 'GET', path: '/v1/keys/{id}', function: 'keys' },
  { method: 'PATCH', path: '/v1/keys/{id}', function: 'keys' },
  { method: 'DELETE', path: '/v1/keys/{id}', function: 'keys' },
  { method: 'POST', path: '/v1/keys/{id}/revoke', function: 'keys' },
  { method: 'POST', path: '/v1/keys/{id}/enable', function: 'keys' },
  { method: 'POST', path: '/v1/keys/{id}/rotate', function: 'keys' },
  { method: 'POST', path: '/v1/keys/batch', function: 'keys' },
  { method: 'GET', path: '/v1/me', function: 'account' },
  { method: 'GET', path: '/v1/usage', function: 'account' },
  { method: 'POST', path: '/v1/panel/tenants', function: 'panel' },
  { method: 'GET', path: '/v1/panel/tenants/{tenantId}', function: 'panel' },
  { method: 'PUT', path: '/v1/panel/tenants/{tenantId}/plan', function: 'panel' },
];

describe('matchRoute', () => {
  it('matches a literal route', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/me')).toEqual({
      kind: 'matched',
      route: { method: 'GET', path: '/v1/me', function: 'account' },
      pathParameters: {},
    });
  });

  it('picks the route with the request method among those on one resource', () => {
    const match = matchRoute(ROUTES, 'POST', '/v1/keys');
    expect(match).toEqual({ kind: 'matched', route: ROUTES[0], pathParameters: {} });
  });

  it('binds path parameters', () => {
    expect(matchRoute(ROUTES, 'PUT', '/v1/panel/tenants/acme/plan')).toEqual({
      kind: 'matched',
      route: { method: 'PUT', path: '/v1/panel/tenants/{tenantId}/plan', function: 'panel' },
      pathParameters: { tenantId: 'acme' },
    });
    expect(matchRoute(ROUTES, 'POST', '/v1/keys/key_1/revoke')).toMatchObject({
      kind: 'matched',
      pathParameters: { id: 'key_1' },
    });
  });

  it('URL-decodes path parameters', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/a%20b%2Bc')).toMatchObject({
      kind: 'matched',
      pathParameters: { id: 'a b+c' },
    });
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/caf%C3%A9')).toMatchObject({ pathParameters: { id: 'café' } });
  });

  it('keeps an encoded slash inside one parameter instead of splitting the segment', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/a%2Fb')).toMatchObject({
      kind: 'matched',
      route: { path: '/v1/keys/{id}' },
      pathParameters: { id: 'a/b' },
    });
  });

  it('never lets a parameter match across a slash', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/a/b')).toEqual({ kind: 'not_found' });
  });

  it('prefers a literal segment over a parameter sibling', () => {
    expect(matchRoute(ROUTES, 'POST', '/v1/keys/batch')).toEqual({
      kind: 'matched',
      route: { method: 'POST', path: '/v1/keys/batch', function: 'keys' },
      pathParameters: {},
    });
  });

  it('answers method_not_allowed on a literal resource lacking the method, even where the parameter sibling has it', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/batch')).toEqual({ kind: 'method_not_allowed' });
  });

  it('answers not_found for a path no resource has', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/nothing')).toEqual({ kind: 'not_found' });
    expect(matchRoute(ROUTES, 'GET', '/')).toEqual({ kind: 'not_found' });
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/key_1/revoke/again')).toEqual({ kind: 'not_found' });
  });

  it('answers method_not_allowed for a known path with another method', () => {
    expect(matchRoute(ROUTES, 'DELETE', '/v1/me')).toEqual({ kind: 'method_not_allowed' });
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/key_1/revoke')).toEqual({ kind: 'method_not_allowed' });
    expect(matchRoute(ROUTES, 'DELETE', '/v1/panel/tenants')).toEqual({ kind: 'method_not_allowed' });
  });

  it('compares methods exactly', () => {
    expect(matchRoute(ROUTES, 'get', '/v1/me')).toEqual({ kind: 'method_not_allowed' });
  });

  it('routes one trailing slash to the same resource, as API Gateway REST APIs do', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/me/')).toMatchObject({ kind: 'matched', route: { path: '/v1/me' } });
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/key_1/')).toMatchObject({
      kind: 'matched',
      pathParameters: { id: 'key_1' },
    });
  });

  it('does not match empty segments', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1//me')).toEqual({ kind: 'not_found' });
    expect(matchRoute(ROUTES, 'GET', '/v1/me//')).toEqual({ kind: 'not_found' });
    expect(matchRoute(ROUTES, 'GET', '/v1/keys//')).toEqual({ kind: 'not_found' });
  });

  it('does not reach a literal resource through percent-encoding or another case', () => {
    expect(matchRoute(ROUTES, 'POST', '/v1/%6Beys')).toEqual({ kind: 'not_found' });
    expect(matchRoute(ROUTES, 'GET', '/V1/ME')).toEqual({ kind: 'not_found' });
  });

  it('does not match a parameter whose encoding is broken', () => {
    expect(matchRoute(ROUTES, 'GET', '/v1/keys/%E0%A4%A')).toEqual({ kind: 'not_found' });
  });

  it('answers not_found for a path without a leading slash', () => {
    expect(matchRoute(ROUTES, 'GET', 'v1/me')).toEqual({ kind: 'not_found' });
  });

  it('matches the root resource', () => {
    const routes: Route[] = [{ method: 'GET', path: '/', function: 'account' }];
    expect(matchRoute(routes, 'GET', '/')).toMatchObject({ kind: 'matched', pathParameters: {} });
  });
});

describe('methodArn', () => {
  const base = { region: 'local', accountId: '000000000000', apiId: 'keygate', stage: 'prod' };

  it('builds the execute-api ARN API Gateway gives a TOKEN authorizer', () => {
    expect(methodArn({ ...base, method: 'GET', path: '/v1/me' })).toBe(
      'arn:aws:execute-api:local:000000000000:keygate/prod/GET/v1/me',
    );
  });

  it('upper-cases the method and keeps the path as given', () => {
    expect(methodArn({ ...base, method: 'post', path: '/v1/keys/key_1/revoke' })).toBe(
      'arn:aws:execute-api:local:000000000000:keygate/prod/POST/v1/keys/key_1/revoke',
    );
  });
});
