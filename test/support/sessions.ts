import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalKeygate } from '../../local/app';
import type { Clock } from '../../lambdas/core/support/clock';
import { keygateHandler } from '../../lambdas/runtime/route-context';
import { call, startTestKeygate } from './local';

/** A local keygate with a backend behind its front door, a route of your own, and one tenant. */
export interface SessionsGateway {
  readonly keygate: LocalKeygate;
  readonly operator: string;
  /** The tenant's first owner key. */
  readonly owner: string;
  /** The paths that reached the backend behind the front door, oldest first. */
  readonly upstreamSeen: readonly string[];
  /** How many calls the route of your own (`GET /v1/orders`) served. */
  ordersServed(): number;
  stop(): Promise<void>;
}

/**
 * Starts keygate on `clock` with a backend behind its front door, `GET /v1/orders` as a route of
 * your own, and the tenant `tenantId` on the scale plan: where sessions must reach keygate's routes
 * and never the other two.
 */
export async function startSessionsGateway(clock: Clock, tenantId: string, name: string): Promise<SessionsGateway> {
  const upstreamSeen: string[] = [];
  let ordersServed = 0;
  const upstream = createServer((req, res) => {
    upstreamSeen.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"from":"upstream"}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const keygate = await startTestKeygate({
    clock,
    upstream: { url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`, secret: 'upstream-secret' },
    routes: [
      {
        route: { method: 'GET', path: '/v1/orders', entry: __filename },
        handler: () => keygateHandler(async () => ((ordersServed += 1), { statusCode: 200, body: '{"orders":[]}' })),
      },
    ],
  });
  const operator = keygate.operatorKey as string;
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId, name, plan: 'scale' },
  });
  if (created.status !== 201) throw new Error(`tenant: ${created.status} ${JSON.stringify(created.body)}`);
  return {
    keygate,
    operator,
    owner: created.body.key.key as string,
    upstreamSeen,
    ordersServed: () => ordersServed,
    stop: async () => {
      await keygate.stop();
      await new Promise<void>((resolve) => upstream.close(() => resolve()));
    },
  };
}
