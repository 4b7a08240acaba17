import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalKeygate } from '../../local/app';
import { testEndpoint } from '../support/dynamodb';
import { fixedClock } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';
import { day, instant } from '../support/time';

/**
 * The staleness notice reads real traffic. The authorizer records a key's last use only when it
 * runs (its answers are cached) and only if its write succeeds; here every one of its writes is
 * refused, as DynamoDB refuses a throttled request. The requests are still in the access log,
 * which the usage aggregator counts and takes each key's last use from.
 */

const clock = fixedClock(instant(0, '10:00'));
let keygate: LocalKeygate;
let proxy: Server;
let owner: { id: string; key: string };
let nightly: { id: string; key: string };
let refusedWrites = 0;

/**
 * DynamoDB Local behind a proxy that refuses the authorizer's `UpdateItem` (its signed requests
 * carry no SDK user agent) as throttled, and passes every other request on.
 */
async function throttlingAuthorizerWrites(): Promise<string> {
  const target = new URL(testEndpoint());
  proxy = createServer((incoming: IncomingMessage, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const authorizerWrite =
        incoming.headers['x-amz-target'] === 'DynamoDB_20120810.UpdateItem' &&
        !/aws-sdk/.test(String(incoming.headers['user-agent'] ?? ''));
      if (authorizerWrite) {
        refusedWrites += 1;
        outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
        outgoing.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
            message: 'The level of configured provisioned throughput for the table was exceeded.',
          }),
        );
        return;
      }
      const forward = httpRequest(
        {
          hostname: target.hostname,
          port: target.port,
          path: incoming.url,
          method: incoming.method,
          headers: incoming.headers,
        },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 500, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forward.on('error', () => outgoing.destroy());
      forward.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
}

type Event = { type: string; keyId?: string; details: Record<string, unknown> };
async function staleNotices(): Promise<Event[]> {
  const answer = await call(keygate.url, 'GET', '/v1/events?limit=100', { key: owner.key });
  expect(answer.status).toBe(200);
  return (answer.body.items as Event[]).filter((event) => event.type === 'key.stale');
}

async function lastUsedAtOf(id: string): Promise<string | null> {
  const answer = await call(keygate.url, 'GET', `/v1/keys/${id}`, { key: owner.key });
  expect(answer.status).toBe(200);
  return answer.body.lastUsedAt as string | null;
}

beforeAll(async () => {
  // the default 300 s authorizer cache and 60 s last-use interval; usage is counted when the test says.
  keygate = await startTestKeygate({
    clock,
    staleAfterDays: 5,
    usageFlushMs: 3_600_000,
    dynamodbEndpoint: await throttlingAuthorizerWrites(),
  });
  owner = (
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: keygate.operatorKey as string,
      body: { tenantId: 'acme-stale-traffic', name: 'Acme', plan: 'scale' },
    })
  ).body.key;
  nightly = (await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body: { name: 'nightly job' } })).body;
});
afterAll(async () => {
  await keygate.stop();
  await new Promise((resolve) => proxy.close(resolve));
});

describe('the staleness notice and uses the authorizer did not record', () => {
  it('does not report a key used since, though the authorizer never recorded it; it reports it five days after its last request', async () => {
    // day 2: one request runs the authorizer (whose write is refused), two more hit its cache.
    for (const time of ['10:00', '10:01', '10:02']) {
      clock.set(instant(2, time));
      expect((await call(keygate.url, 'GET', '/v1/me', { key: nightly.key })).status).toBe(200);
    }
    await keygate.settle();
    expect(refusedWrites).toBeGreaterThan(0);
    expect(await lastUsedAtOf(nightly.id)).toBeNull();

    await keygate.flushUsage();

    expect(await lastUsedAtOf(nightly.id)).toBe(instant(2, '10:02'));
    // day 5 reads the keys last active on day 0, the nightly key's creation: it was used on day 2.
    clock.set(instant(5, '00:05'));
    await keygate.runNotices();
    expect((await staleNotices()).map((event) => event.keyId)).not.toContain(nightly.id);

    clock.set(instant(7, '00:05'));
    await keygate.runNotices();
    expect((await staleNotices()).find((event) => event.keyId === nightly.id)?.details).toEqual({
      lastUsedAt: instant(2, '10:02'),
      idleSince: day(2),
      staleAfterDays: 5,
    });
  });
});
