/**
 * Figure 5, the local gateway under load: autocannon (as a library, in a child process so the
 * load and the gateway do not share an event loop) against `GET /v1/me` over loopback.
 *
 * The local gateway has no route without an authorizer, so `gateway_rps_open` is measured on a
 * plain `node:http` server built here that does the gateway's work for a request minus the
 * authorizer step and the usage-plan check: route match, body read, the same proxy event
 * (with the key's authorizer context filled in), the same account handler, the same response.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAccountHandler } from '../lambdas/account/handler';
import { systemClock } from '../lambdas/core/support/clock';
import { hashKey, keyIdFromHash } from '../lambdas/core/keys/format';
import { ROUTES } from '../lambdas/core/http/routes';
import { startKeygateLocal, type LocalKeygate } from '../local/app';
import { buildProxyEvent } from '../local/proxy-event';
import { matchRoute } from '../local/router';
import { quiet } from './fixture';
import { median, printTable, size, type Report } from './report';

const run = promisify(execFile);

interface LoadResult {
  readonly requests: { average: number; total: number };
  /** Seconds. */
  readonly duration: number;
  readonly latency: { p50: number; p99: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

/** One autocannon run in a child process; throws on any non-2xx answer or error. */
export async function load(
  url: string,
  authorization: string | undefined,
  seconds: number,
  connections: number,
): Promise<LoadResult> {
  const { stdout } = await run(
    process.execPath,
    [join(__dirname, 'load.cjs'), url, authorization ?? '-', String(seconds), String(connections)],
    {
      maxBuffer: 64 * 1024 * 1024,
      timeout: (seconds + 60) * 1000,
    },
  );
  const result = JSON.parse(stdout) as LoadResult;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result;
}

/** `GET /v1/me` with no authorizer: the account handler behind a bare HTTP server. */
export async function openServer(keygate: LocalKeygate, operatorKey: string): Promise<{ server: Server; url: string }> {
  const key = await keygate.store.getKey(keyIdFromHash(hashKey(operatorKey)));
  if (key === undefined) throw new Error('the operator key is not stored');
  const context = {
    tenantId: key.tenantId,
    keyId: key.id,
    environment: key.environment,
    role: key.role,
    plan: key.plan,
  };
  const handler = createAccountHandler({
    store: keygate.store,
    clock: systemClock,
    logger: quiet,
    tenants: { usage: async () => Promise.reject(new Error('not on this route')) },
  });
  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const match = matchRoute(ROUTES, req.method ?? 'GET', url.pathname);
      if (match.kind !== 'matched') return void res.writeHead(404).end();
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const event = buildProxyEvent({
        method: req.method ?? 'GET',
        path: url.pathname,
        resource: match.route.path,
        pathParameters: match.pathParameters,
        query: url.searchParams,
        headers: req.headersDistinct,
        body: chunks.length === 0 ? undefined : Buffer.concat(chunks),
        authorizer: { principalId: key.id, context, integrationLatency: 0 },
        stage: 'prod',
        apiId: 'keygate',
        accountId: '000000000000',
        requestId: randomUUID(),
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        protocol: `HTTP/${req.httpVersion}`,
        receivedAt: new Date(),
      });
      const response = await handler(event);
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(response.headers ?? {})) headers[name] = String(value);
      res.writeHead(response.statusCode, headers).end(response.body);
    })().catch(() => res.writeHead(500).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function gatewayFigures(report: Report, endpoint: string): Promise<void> {
  const seconds = size(10, 2);
  const slices = size(5, 2);
  const connections = 10;
  const start = (ttl: number) =>
    startKeygateLocal({
      port: 0,
      dynamodbEndpoint: endpoint,
      tableName: `bench-gw-${randomUUID().slice(0, 8)}`,
      cacheTtlSeconds: ttl,
      logger: quiet,
      requestLog: () => undefined,
    });
  const cached = await start(300);
  const uncached = await start(0);
  const rows: (string | number)[][] = [];
  try {
    const operatorKey = cached.operatorKey;
    if (operatorKey === undefined || uncached.operatorKey === undefined) throw new Error('no operator key was created');
    const open = await openServer(cached, operatorKey);
    try {
      const runs: [string, string, string, string | undefined][] = [
        ['gateway_rps_open', 'no authorizer (plain node:http, same handler work)', `${open.url}/v1/me`, undefined],
        ['gateway_rps_cached', 'local gateway, authorizer cache 300 s', `${cached.url}/v1/me`, `Bearer ${operatorKey}`],
        [
          'gateway_rps_uncached',
          'local gateway, authorizer cache off (TTL 0)',
          `${uncached.url}/v1/me`,
          `Bearer ${uncached.operatorKey}`,
        ],
      ];
      // warm-up: DynamoDB Local's JIT takes seconds to reach speed, then node's, the connections, the cache entry.
      for (let round = 0; round < 2; round += 1)
        for (const [, , url, authorization] of runs) await load(url, authorization, size(4, 1), connections);
      // the routes take turns slice by slice, each slice starting with the next route, so DynamoDB
      // Local's warm-up and the machine's noise fall on each alike.
      const totals = runs.map(() => ({ requests: 0, seconds: 0, p50: [] as number[], p99: 0 }));
      for (let slice = 0; slice < slices; slice += 1) {
        for (let turn = 0; turn < runs.length; turn += 1) {
          const index = (slice + turn) % runs.length;
          const [, , url, authorization] = runs[index];
          const result = await load(url, authorization, seconds / slices, connections);
          totals[index].requests += result.requests.total;
          totals[index].seconds += result.duration;
          totals[index].p50.push(result.latency.p50);
          totals[index].p99 = Math.max(totals[index].p99, result.latency.p99);
        }
      }
      for (const [index, [figure, label]] of runs.entries()) {
        const total = totals[index];
        report.add(
          figure,
          total.requests / total.seconds,
          'req/s',
          `${label}; ${seconds} s in ${slices} slices, ${connections} connections`,
        );
        rows.push([label, total.requests / total.seconds, median(total.p50), total.p99]);
      }
    } finally {
      open.server.closeAllConnections();
      await new Promise((resolve) => open.server.close(resolve));
    }
  } finally {
    await cached.stop();
    await uncached.stop();
  }
  report.add(
    'gateway_auth_overhead_ratio',
    report.get('gateway_rps_open') / report.get('gateway_rps_cached'),
    '×',
    'open / cached',
  );
  printTable(
    `Local gateway, GET /v1/me over loopback (autocannon, ${seconds} s, ${connections} connections; load, gateway and DynamoDB Local share the machine)`,
    ['route', 'req/s', 'p50 ms (median of slices)', 'p99 ms (worst slice)'],
    rows,
  );
}
