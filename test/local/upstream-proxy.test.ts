import { ROUTES } from '../../lambdas/core/http/routes';
import { isKeygateResource, upstreamHeaders } from '../../local/http/upstream-proxy';

const context = { tenantId: 't1', keyId: 'key_1', environment: 'live', role: 'owner', plan: 'scale' };

describe('upstreamHeaders', () => {
  it('keeps end-to-end headers (repeated ones too) and drops hop-by-hop ones, host, authorization and every x-keygate-*', () => {
    const raw = ['Host', 'gw', 'Authorization', 'Bearer sk_live_x', 'Connection', 'keep-alive', 'Accept', 'a', 'X-Trace', '1', 'X-Trace', '2', 'X-Keygate-Tenant-Id', 'evil', 'x-keygate-anything', 'y'];
    expect(upstreamHeaders(raw, context, 's')).toEqual({
      accept: 'a',
      'x-trace': ['1', '2'],
      'x-keygate-tenant-id': 't1',
      'x-keygate-key-id': 'key_1',
      'x-keygate-environment': 'live',
      'x-keygate-role': 'owner',
      'x-keygate-plan': 'scale',
      'x-keygate-secret': 's',
    });
  });

  it('refuses to build headers from an incomplete context, so the request is never forwarded', () => {
    expect(() => upstreamHeaders([], { ...context, plan: '' }, undefined)).toThrow(/no plan/);
  });
});

describe('isKeygateResource', () => {
  it.each([
    ['/v1/me', true],
    ['/v1', true],
    ['/v1/keys/key_1/rotate', true],
    ['/v1/panel', true],
    ['/v1/me/', true],
    ['/', false],
    ['/orders/1', false],
    ['/v1/orders', false],
    ['/v1/keys/key_1/extra/deeper', false],
  ])('%s → %s', (path, expected) => {
    expect(isKeygateResource(ROUTES, path)).toBe(expected);
  });
});
