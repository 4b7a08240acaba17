/**
 * `npm run bench`: figures for the README, measured in one run on this machine so that ratios
 * compare like with like. Nothing here asserts: speed belongs in figures, not in timed tests.
 */
import { randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { build } from 'esbuild';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { authorize, ThrottledLastUse, type AuthorizeDeps, type LastUseRecorder } from '../lambdas/core/authorize';
import { systemClock } from '../lambdas/core/clock';
import { DynamoKeyStore } from '../lambdas/core/dynamodb-store';
import { expiryAt } from '../lambdas/core/expiry';
import { mintKey, parseAuthorization } from '../lambdas/core/keys';
import type { Logger } from '../lambdas/core/logger';
import type { KeyStore } from '../lambdas/core/store';
import { buildKey } from '../lambdas/core/new-key';
import { documentClient } from '../lambdas/runtime/dynamodb-client';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureTable } from '../local/table';
import { startKeygateLocal } from '../local/app';

const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
const METHOD_ARN = 'arn:aws:execute-api:local:000000000000:keygate/prod/GET/v1/me';

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Runs `fn` `runs` times in a row and returns each run's milliseconds. */
async function time(runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const start = performance.now();
    await fn();
    samples.push(performance.now() - start);
  }
  return samples;
}

/** Counts store calls made while a promise is being awaited: the response path's round trips. */
function countingStore(store: KeyStore): { store: KeyStore; reads: () => number; writes: () => number } {
  let reads = 0;
  let writes = 0;
  const counted = Object.create(store) as KeyStore;
  counted.getKey = async (id) => {
    reads += 1;
    return store.getKey(id);
  };
  counted.touchLastUsed = async (...args) => {
    writes += 1;
    return store.touchLastUsed(...args);
  };
  return { store: counted, reads: () => reads, writes: () => writes };
}

async function authorizerFigures(store: DynamoKeyStore, key: string): Promise<void> {
  const runs = 1000;
  const base = { prefix: 'sk', acceptBareKeys: true, clock: systemClock, logger: quiet };
  const none: LastUseRecorder = { record: () => undefined };
  const counting = countingStore(store);
  // interval 0: a write is started on every call, the worst case for the response path.
  const fireAndForget = new ThrottledLastUse(counting.store, quiet, 0);
  const awaited: LastUseRecorder & { last?: Promise<unknown> } = { record: () => undefined };
  const variants: [string, AuthorizeDeps, (() => Promise<unknown>) | undefined][] = [
    ['no lastUsedAt at all', { ...base, store, lastUse: none }, undefined],
    ['lastUsedAt started, not awaited (keygate)', { ...base, store: counting.store, lastUse: fireAndForget }, undefined],
    ['lastUsedAt awaited (what keygate avoids)', { ...base, store, lastUse: awaited }, () => store.touchLastUsed(mintKey('sk', 'live').id, new Date(), 0)],
  ];
  // warm up the sdk and the jit first.
  await time(100, () => authorize(variants[0][1], `Bearer ${key}`, METHOD_ARN));
  // the variants take turns call by call, so the machine's noise falls on each alike.
  const results: [string, number[]][] = variants.map(([label]) => [label, []]);
  for (let i = 0; i < runs; i += 1) {
    for (const [index, [, deps, extra]] of variants.entries()) {
      const start = performance.now();
      await authorize(deps, `Bearer ${key}`, METHOD_ARN);
      if (extra !== undefined) await extra();
      results[index][1].push(performance.now() - start);
      // the started write finishes outside the timing, as it does after a lambda answers; this
      // keeps it from queueing in front of the next call's read on the one local database.
      await fireAndForget.settle();
    }
  }
  const baseline = percentile(results[0][1], 50);
  console.log(`\nauthorizer, uncached, over DynamoDB Local (${runs} calls each)`);
  console.log('| variant | p50 ms | p99 ms | p50 vs none |');
  console.log('| --- | --- | --- | --- |');
  for (const [label, samples] of results) {
    console.log(`| ${label} | ${percentile(samples, 50).toFixed(2)} | ${percentile(samples, 99).toFixed(2)} | ${(percentile(samples, 50) / baseline).toFixed(2)}x |`);
  }
  console.log(`reads per uncached authorization: ${(counting.reads() / runs).toFixed(2)}; lastUsedAt writes started: ${counting.writes()} (none awaited)`);

  const garbage = `Bearer sk_live_${'0'.repeat(72)}`;
  const n = 200_000;
  const start = performance.now();
  for (let i = 0; i < n; i += 1) parseAuthorization(garbage, 'sk', true);
  const perSecond = n / ((performance.now() - start) / 1000);
  console.log(`malformed-key rejection (shape + CRC-32, no I/O): ${(perSecond / 1e6).toFixed(2)} M/s`);
}

async function gatewayFigures(endpoint: string): Promise<void> {
  const requests = 2000;
  const concurrency = 16;
  console.log(`\nlocal gateway, GET /v1/me over HTTP (${requests} requests, ${concurrency} at a time; client, gateway and DynamoDB Local share the machine)`);
  console.log('| authorizer cache | requests/s | p50 ms | p99 ms |');
  console.log('| --- | --- | --- | --- |');
  for (const ttl of [300, 0]) {
    const keygate = await startKeygateLocal({
      port: 0,
      dynamodbEndpoint: endpoint,
      tableName: `bench-${randomUUID().slice(0, 8)}`,
      cacheTtlSeconds: ttl,
      logger: quiet,
      requestLog: () => undefined,
    });
    const headers = { authorization: `Bearer ${keygate.operatorKey}` };
    for (let i = 0; i < 200; i += 1) await (await fetch(`${keygate.url}/v1/me`, { headers })).arrayBuffer();
    const samples: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < requests) {
          next += 1;
          const t = performance.now();
          const res = await fetch(`${keygate.url}/v1/me`, { headers });
          await res.arrayBuffer();
          if (res.status !== 200) throw new Error(`unexpected ${res.status}`);
          samples.push(performance.now() - t);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    console.log(`| ${ttl === 0 ? 'off' : `${ttl} s`} | ${(requests / seconds).toFixed(0)} | ${percentile(samples, 50).toFixed(2)} | ${percentile(samples, 99).toFixed(2)} |`);
    await keygate.stop();
  }
}

async function bundleFigures(): Promise<void> {
  console.log('\nLambda bundles (esbuild, minified, cjs, node22, as NodejsFunction builds them)');
  console.log('| function | bytes | gzipped |');
  console.log('| --- | --- | --- |');
  for (const name of ['authorizer', 'account', 'keys', 'panel']) {
    const out = await build({
      entryPoints: [join(__dirname, '..', 'lambdas', name, 'index.ts')],
      bundle: true,
      minify: true,
      platform: 'node',
      target: 'node22',
      format: 'cjs',
      write: false,
    });
    const code = out.outputFiles[0].contents;
    console.log(`| ${name} | ${(code.length / 1024).toFixed(0)} kB | ${(gzipSync(code).length / 1024).toFixed(0)} kB |`);
  }
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  console.log(`keygate bench, node ${process.version}, ${new Date().toISOString()}`);
  const dynamodb = await startDynamoDbLocal();
  try {
    const client = new DynamoDBClient({ endpoint: dynamodb.endpoint, ...LOCAL_AWS });
    const tableName = `bench-${randomUUID().slice(0, 8)}`;
    await ensureTable(client, tableName);
    const store = new DynamoKeyStore({ client: documentClient(client), tableName });
    const tenant = {
      tenantId: 'bench',
      name: 'Bench',
      plan: 'scale' as const,
      limits: { rateLimit: 1000, burstLimit: 2000 },
      status: 'active' as const,
      createdAt: new Date().toISOString(),
      version: 1,
      usageKeys: {},
    };
    const { item, plaintext } = buildKey({ prefix: 'sk', tenant, name: 'bench', environment: 'live', role: 'developer', expiry: expiryAt(null), now: new Date() });
    await store.createTenant(tenant, item);
    await authorizerFigures(store, plaintext);
    await gatewayFigures(dynamodb.endpoint);
    await bundleFigures();
    client.destroy();
  } finally {
    await dynamodb.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
