import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROUTES } from '../../lambdas/core/http/routes';
import {
  forwardToUpstream,
  isKeygateResource,
  upstreamHeaders,
  type ForwardOutcome,
} from '../../local/http/upstream-proxy';

const context = { tenantId: 't1', keyId: 'key_1', environment: 'live', role: 'owner', plan: 'scale' };
const client = { address: '192.0.2.1', proto: 'http' } as const;

describe('upstreamHeaders', () => {
  it('keeps end-to-end headers (repeated ones too) and drops hop-by-hop ones, host, authorization and every x-keygate-*', () => {
    const raw = [
      'Host',
      'gw',
      'Authorization',
      'Bearer sk_live_x',
      'Connection',
      'keep-alive',
      'Accept',
      'a',
      'X-Trace',
      '1',
      'X-Trace',
      '2',
      'X-Keygate-Tenant-Id',
      'evil',
      'x-keygate-anything',
      'y',
    ];
    expect(upstreamHeaders(raw, context, 's', client)).toEqual({
      accept: 'a',
      'x-trace': ['1', '2'],
      'x-keygate-tenant-id': 't1',
      'x-keygate-key-id': 'key_1',
      'x-keygate-environment': 'live',
      'x-keygate-role': 'owner',
      'x-keygate-plan': 'scale',
      'x-keygate-secret': 's',
      'x-forwarded-for': '192.0.2.1',
      'x-forwarded-proto': 'http',
      forwarded: 'for=192.0.2.1;proto=http',
    });
  });

  it.each([
    'x_keygate_tenant_id',
    'X-Keygate_Role',
    'x-keygate_environment',
    'X_KEYGATE_SECRET',
    'X-KEYGATE-PLAN',
    'x_forwarded_for',
    'X_Forwarded-Proto',
  ])('drops %s, which a WSGI or CGI backend would read as a keygate or forwarding header', (name) => {
    const headers = upstreamHeaders([name, 'spoofed', 'Accept', 'a'], context, 's', client);
    expect(Object.keys(headers).filter((key) => key.includes('_'))).toEqual([]);
    expect(Object.values(headers).flat()).not.toContain('spoofed');
    expect(headers.accept).toBe('a');
  });

  it('drops the headers Connection names (in any case, across repeated Connection headers) but never the body framing', () => {
    const raw = [
      'Connection',
      'keep-alive, X-Hop',
      'connection',
      ' x-other ,Content-Length',
      'X-Hop',
      '1',
      'X-OTHER',
      '2',
      'Content-Length',
      '3',
      'X-Kept',
      'k',
    ];
    const headers = upstreamHeaders(raw, context, undefined, client);
    expect(headers['x-hop']).toBeUndefined();
    expect(headers['x-other']).toBeUndefined();
    expect(headers).toMatchObject({ 'content-length': '3', 'x-kept': 'k' });
  });

  it("appends the client's address to X-Forwarded-For and a hop to Forwarded, and sets X-Forwarded-Proto", () => {
    const raw = [
      'X-Forwarded-For',
      '203.0.113.7',
      'x-forwarded-for',
      '198.51.100.2, 10.0.0.1',
      'Forwarded',
      'for=203.0.113.7',
      'X-Forwarded-Proto',
      'https',
    ];
    expect(upstreamHeaders(raw, context, undefined, { address: '::1', proto: 'http' })).toMatchObject({
      'x-forwarded-for': '203.0.113.7, 198.51.100.2, 10.0.0.1, ::1',
      'x-forwarded-proto': 'http',
      forwarded: 'for=203.0.113.7, for="[::1]";proto=http',
    });
  });

  it('refuses to build headers from an incomplete context, so the request is never forwarded', () => {
    expect(() => upstreamHeaders([], { ...context, plan: '' }, undefined, client)).toThrow(/no plan/);
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

describe('forwardToUpstream', () => {
  const listen = async (server: Server): Promise<number> => {
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', () => done()));
    return (server.address() as AddressInfo).port;
  };

  it('gives the cause of an unreachable upstream, without the headers it was to send', async () => {
    const closed = createServer();
    const port = await listen(closed);
    await new Promise<void>((done) => closed.close(() => done()));
    let outcome: ForwardOutcome | undefined;
    const front = createServer((req, res) => {
      const headers = upstreamHeaders(req.rawHeaders, context, 'the-upstream-secret', client);
      void forwardToUpstream(req, res, { url: `http://127.0.0.1:${port}` }, req.url ?? '/', headers).then((result) => {
        outcome = result;
        res.writeHead(502).end();
      });
    });
    const frontPort = await listen(front);
    try {
      const answer = await fetch(`http://127.0.0.1:${frontPort}/orders`, {
        headers: { authorization: 'kg_live_secretvalue' },
      });
      expect(answer.status).toBe(502);
      expect(outcome).toEqual({ kind: 'unreachable', cause: `ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:${port}` });
      expect(JSON.stringify(outcome)).not.toMatch(/secret/);
    } finally {
      front.close();
    }
  });
});
