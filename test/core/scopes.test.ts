import fc from 'fast-check';
import {
  MAX_SCOPES,
  ScopeError,
  parseScopes,
  scopeMatches,
  scopeResource,
  scopesCover,
} from '../../lambdas/core/auth/scopes';
import { isAllowed } from '../../local/policy';
import { policyFor } from '../../lambdas/core/auth/policy';
import { largestResultBytes, AUTHORIZER_RESULT_LIMIT_BYTES, LONGEST_STAGE_NAME } from '../../lib/authorizer-limits';
import { ROUTES } from '../../lambdas/core/http/routes';
import '../support/property';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';

describe('parseScopes', () => {
  it.each([
    ['GET /v1/orders/*', 'GET/v1/orders/*'],
    ['POST /v1/emails', 'POST/v1/emails'],
    ['* /{workspace}/*', '*/*/*'],
    ['DELETE /v1/orders/{id}/lines', 'DELETE/v1/orders/*/lines'],
    ['OPTIONS /*', 'OPTIONS/*'],
  ])('reads %s as the resource %s', (scope, resource) => {
    expect(parseScopes([scope]).map(scopeResource)).toEqual([resource]);
  });

  it.each([
    'GET',
    'get /v1/orders',
    'ANY /v1/orders',
    'GET v1/orders',
    'GET /v1//orders',
    'GET /v1/orders/',
    'GET /v1/../panel',
    'GET /v1/./orders',
    'GET /v1/ord*',
    'GET /v1/orders?x',
    'GET /v1/%6frders',
    'GET  /v1/orders',
    `GET /${'a'.repeat(200)}`,
  ])('refuses %j', (scope) => {
    expect(() => parseScopes([scope])).toThrow(ScopeError);
  });

  it(`takes at most ${MAX_SCOPES} scopes, without duplicates`, () => {
    const many = Array.from({ length: MAX_SCOPES + 1 }, (_, i) => `GET /v1/r${i}`);
    expect(() => parseScopes(many)).toThrow(ScopeError);
    expect(parseScopes(many.slice(0, MAX_SCOPES))).toHaveLength(MAX_SCOPES);
    expect(() => parseScopes(['GET /a', 'GET /a'])).toThrow(ScopeError);
  });
});

describe('scopeMatches', () => {
  it.each([
    ['GET /v1/orders/*', 'GET', '/v1/orders/1', true],
    ['GET /v1/orders/*', 'GET', '/v1/orders/1/lines', true],
    ['GET /v1/orders/*', 'GET', '/v1/orders', false],
    ['GET /v1/orders/*', 'POST', '/v1/orders/1', false],
    ['GET /v1/orders/*', 'GET', '/V1/orders/1', false],
    ['POST /v1/emails', 'POST', '/v1/emails', true],
    ['POST /v1/emails', 'POST', '/v1/emails/x', false],
    ['* /{workspace}/posts', 'PUT', '/w1/posts', true],
    ['GET /v1/{id}/lines', 'GET', '/v1/7/lines', true],
    ['GET /v1/{id}/lines', 'GET', '/v1/7/lines/8', false],
  ])('%s against %s %s: %s', (scope, method, path, expected) => {
    expect(scopeMatches(parseScopes([scope])[0], method, path)).toBe(expected);
  });
});

describe('scopesCover', () => {
  const covers = (wide: string[], narrow: string[]) => scopesCover(parseScopes(wide), parseScopes(narrow));

  it.each([
    [['GET /v1/orders/*'], ['GET /v1/orders/7'], true],
    [['GET /v1/orders/*'], ['GET /v1/orders/*/lines'], true],
    [['* /v1/orders/*'], ['DELETE /v1/orders/{id}'], true],
    [['GET /v1/orders/*', 'POST /v1/emails'], ['POST /v1/emails'], true],
    [['GET /v1/orders/*'], ['POST /v1/orders/7'], false],
    [['GET /v1/orders/*'], ['GET /v1/orders'], false],
    [['GET /v1/orders/7'], ['GET /v1/orders/*'], false],
    [['GET /v1/orders/*'], ['* /v1/orders/7'], false],
    [['GET /v1/{id}/lines'], ['GET /v1/*'], false],
  ])('%j covers %j: %s', (wide, narrow, expected) => {
    expect(covers(wide, narrow)).toBe(expected);
  });

  const segment = fc.constantFrom('v1', 'orders', 'emails', '7', '*', '{id}');
  const scope = fc
    .tuple(fc.constantFrom('GET', 'POST', '*'), fc.array(segment, { minLength: 1, maxLength: 4 }))
    .map(([method, segments]) => `${method} /${segments.join('/')}`);
  const request = fc.tuple(
    fc.constantFrom('GET', 'POST', 'PUT'),
    fc.array(fc.constantFrom('v1', 'orders', 'emails', '7', 'x'), { minLength: 0, maxLength: 5 }),
  );

  it('is sound: whatever the narrow scopes allow, the wide ones allow', () => {
    fc.assert(
      fc.property(scope, scope, request, (wide, narrow, [method, segments]) => {
        const [w] = parseScopes([wide]);
        const [n] = parseScopes([narrow]);
        const path = `/${segments.join('/')}`;
        if (scopesCover([w], [n]) && scopeMatches(n, method, path)) expect(scopeMatches(w, method, path)).toBe(true);
      }),
    );
  });

  it("agrees with the local policy evaluation of the authorizer's policy", () => {
    fc.assert(
      fc.property(fc.array(scope, { minLength: 1, maxLength: 3 }), request, (raw, [method, segments]) => {
        const scopes = parseScopes([...new Set(raw)]);
        const path = `/${segments.join('/')}`;
        const policy = policyFor(`${STAGE}/GET/v1/me`, 'developer', 'live', [], scopes);
        const expected = scopes.some((s) => scopeMatches(s, method, path));
        expect(isAllowed(policy, `${STAGE}/${method}${path}`, { foldDenyCase: true })).toBe(expected);
      }),
    );
  });
});

describe('policyFor with scopes', () => {
  const at = (policy: unknown, route: string) => isAllowed(policy, `${STAGE}/${route}`, { foldDenyCase: true });

  it('allows only the scopes on other routes, and keygate routes by role', () => {
    const scopes = parseScopes(['GET /v1/orders/*', 'POST /v1/emails', '* /{workspace}/posts']);
    const developer = policyFor(`${STAGE}/GET/v1/me`, 'developer', 'live', [], scopes);
    expect(at(developer, 'GET/v1/orders/1')).toBe(true);
    expect(at(developer, 'POST/v1/emails')).toBe(true);
    expect(at(developer, 'PATCH/w1/posts')).toBe(true);
    expect(at(developer, 'GET/v1/emails')).toBe(false);
    expect(at(developer, 'GET/v1/other')).toBe(false);
    expect(at(developer, 'GET/v1/me')).toBe(true);
    expect(at(developer, 'POST/v1/keys')).toBe(true);
    expect(at(developer, 'DELETE/v1/keys/key_1')).toBe(true);
    expect(at(developer, 'GET/v1/panel/tenants')).toBe(false);
    const readOnly = policyFor(`${STAGE}/GET/v1/me`, 'read_only', 'live', [], scopes);
    expect(at(readOnly, 'POST/v1/keys')).toBe(false);
    expect(at(readOnly, 'GET/v1/keys')).toBe(true);
    const operator = policyFor(`${STAGE}/GET/v1/me`, 'operator', 'live', [], scopes);
    expect(at(operator, 'GET/v1/panel/tenants')).toBe(true);
  });

  it('still denies role-restricted routes inside a scope', () => {
    const scopes = parseScopes(['* /v1/orders/*']);
    const policy = policyFor(
      `${STAGE}/GET/v1/me`,
      'developer',
      'live',
      [{ method: 'DELETE', path: '/v1/orders/{id}', roles: ['owner'] }],
      scopes,
    );
    expect(at(policy, 'GET/v1/orders/1')).toBe(true);
    expect(at(policy, 'DELETE/v1/orders/1')).toBe(false);
  });

  it(`keeps the largest answer with ${MAX_SCOPES} scopes of the longest kind within 8 KB`, () => {
    expect(largestResultBytes([], ['x'.repeat(LONGEST_STAGE_NAME)])).toBeLessThanOrEqual(AUTHORIZER_RESULT_LIMIT_BYTES);
  });
});

describe('KEYGATE_ALLOWS', () => {
  it("covers every route of keygate's own API that takes a key", () => {
    const scoped = policyFor(`${STAGE}/GET/v1/me`, 'operator', 'live', [], parseScopes(['GET /nothing']));
    // a session's sign-out takes no key (a key gets 403 there): a scoped key has no need of it.
    for (const route of ROUTES.filter((r) => r.auth !== 'none' && r.path !== '/v1/session')) {
      const path = route.path.replace(/\{[^}]+\}/g, 'x');
      expect([route.method, path, isAllowed(scoped, `${STAGE}/${route.method}${path}`)]).toEqual([
        route.method,
        path,
        true,
      ]);
    }
  });
});
