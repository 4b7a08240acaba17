/**
 * `npm run bench`: every performance figure measured in one run on this machine, so that ratios
 * compare like with like; a table per section for people and `bench: <name> <value>` lines for
 * scripts. Nothing here asserts speed: the run fails only when a counted contract (DynamoDB
 * calls per authorization) breaks. `BENCH_QUICK=1` shrinks every loop, for developing it;
 * `BENCH_ONLY=usage` runs the usage pipeline's figure alone.
 */
import { randomUUID } from 'node:crypto';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoKeyStore } from '../lambdas/core/store/dynamodb-store';
import { documentClient } from '../lambdas/runtime/dynamodb-client';
import { SignedKeyReader } from '../lambdas/runtime/signed-key-reader';
import { LOCAL_AWS, startDynamoDbLocal } from '../local/dynamodb-local';
import { ensureTable } from '../local/table';
import { Bundler, bundleFigures } from './bundles';
import { callFigures } from './calls';
import { coldStartFigures } from './cold-start';
import { costFigures } from './cost';
import { ddbFigures } from './ddb';
import { benchKey, KEY_FORMAT } from './fixture';
import { gatewayFigures } from './gateway';
import { printGoals, QUICK, Report, type Goal } from './report';
import { usageFigures } from './usage';
import { warmFigures } from './warm';

const KB = 1024;

function goals(report: Report): Goal[] {
  const ratio = (name: string): string => `${report.get(name).toFixed(2)}×`;
  const coldVsEmpty = report.get('authorizer_cold_ms') / report.get('empty_cold_ms');
  const coldVsSdk = report.get('authorizer_cold_ms') / report.get('sdk_baseline_cold_ms');
  const management = ['account', 'keys', 'panel'].map((name) => report.get(`bundle_bytes_${name}`));
  return [
    {
      goal: 'authorizer_over_floor_ratio ≤ 1.5',
      measured: ratio('authorizer_over_floor_ratio'),
      met: report.get('authorizer_over_floor_ratio') <= 1.5,
    },
    {
      goal: 'authorizer_cold_ms ≤ 1.3 × empty_cold_ms',
      measured: `${coldVsEmpty.toFixed(2)}×`,
      met: coldVsEmpty <= 1.3,
    },
    {
      goal: 'authorizer_cold_ms well below sdk_baseline_cold_ms (read as ≤ 0.75×)',
      measured: `${coldVsSdk.toFixed(2)}×`,
      met: coldVsSdk <= 0.75,
    },
    {
      goal: 'authorizer bundle ≤ 50 kB minified',
      measured: `${(report.get('bundle_bytes_authorizer') / KB).toFixed(1)} kB`,
      met: report.get('bundle_bytes_authorizer') <= 50 * KB,
    },
    {
      goal: 'account / keys / panel bundles halved from ~1080 kB (≤ 540 kB)',
      measured: management.map((bytes) => `${(bytes / KB).toFixed(0)} kB`).join(' / '),
      met: management.every((bytes) => bytes <= 540 * KB),
    },
    {
      goal: 'gateway_auth_overhead_ratio ≤ 1.5',
      measured: ratio('gateway_auth_overhead_ratio'),
      met: report.get('gateway_auth_overhead_ratio') <= 1.5,
    },
  ];
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  console.log(`# keygate bench${QUICK ? ' (BENCH_QUICK=1: small loops, figures not for publishing)' : ''}`);
  console.log(
    `\n${new Date().toISOString()}; node ${process.version}; ${availableParallelism()} cpus (${cpus()[0]?.model ?? 'unknown'}); ` +
      `${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory`,
  );
  console.log(`key format: ${JSON.stringify(KEY_FORMAT)} (BENCH_KEY_FORMAT)`);
  const report = new Report();
  if (process.env.BENCH_ONLY === 'usage') {
    await usageOnly(report);
    return;
  }
  const key = benchKey();
  // in process, before DynamoDB Local starts: its JVM's start-up work would share the CPU.
  await warmFigures(report, key);
  report.table('1. Warm CPU, in process', [
    'authorizer_warm_us_p50',
    'authorizer_warm_us_p99',
    'authorizer_floor_us_p50',
    'authorizer_over_floor_ratio',
  ]);

  const bundler = new Bundler();
  const dynamodb = await startDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: dynamodb.endpoint, ...LOCAL_AWS });
  try {
    const tableName = `bench-${randomUUID().slice(0, 8)}`;
    await ensureTable(client, tableName);
    const documents = documentClient(client);
    await new DynamoKeyStore({ client: documents, tableName }).createTenant(key.tenant, key.item);
    const reader = new SignedKeyReader({
      tableName,
      region: LOCAL_AWS.region,
      accessKeyId: LOCAL_AWS.credentials.accessKeyId,
      secretAccessKey: LOCAL_AWS.credentials.secretAccessKey,
      endpoint: dynamodb.endpoint,
    });

    await callFigures(report, reader, key);
    report.table('2. DynamoDB calls per authorization (counted; the run fails if a contract breaks)', [
      'ddb_calls_good',
      'ddb_writes_good',
      'ddb_calls_bad_shape',
      'ddb_calls_bad_checksum',
      'ddb_calls_repeat',
      'ddb_writes_repeat',
    ]);

    await ddbFigures(report, { endpoint: dynamodb.endpoint, tableName, reader, documents }, key);
    report.table('3. Against DynamoDB Local, one call at a time', [
      'authorizer_ddb_per_s',
      'getitem_per_s',
      'sdk_getitem_per_s',
      'authorizer_vs_getitem_ratio',
    ]);

    const bundles = await bundleFigures(report, bundler);
    const authorizer = bundles.get('authorizer');
    if (authorizer === undefined) throw new Error('no authorizer bundle');
    await coldStartFigures(report, bundler, authorizer, dynamodb.endpoint, tableName, key);
    report.table('4. Cold start and bundles', [
      'authorizer_cold_ms',
      'empty_cold_ms',
      'sdk_baseline_cold_ms',
      'sdk_baseline_no_maps_cold_ms',
      'http_floor_cold_ms',
      'authorizer_aws4fetch_cold_ms',
      ...[...bundles.keys()].map((name) => `bundle_bytes_${name}`),
    ]);

    await gatewayFigures(report, dynamodb.endpoint);
    report.table('5. Local gateway', [
      'gateway_rps_open',
      'gateway_rps_cached',
      'gateway_rps_uncached',
      'gateway_auth_overhead_ratio',
    ]);

    costFigures(report);
    await usageFigures(report, { endpoint: dynamodb.endpoint, tableName });
    printGoals(goals(report));
    report.lines();
  } finally {
    client.destroy();
    bundler.dispose();
    await dynamodb.stop();
  }
  if (report.contractFailures.length > 0) {
    for (const failure of report.contractFailures) console.error(`contract broken: ${failure}`);
    process.exitCode = 1;
  }
}

/** `BENCH_ONLY=usage`: the usage pipeline's cost, which needs nothing of the other sections. */
async function usageOnly(report: Report): Promise<void> {
  const dynamodb = await startDynamoDbLocal();
  const client = new DynamoDBClient({ endpoint: dynamodb.endpoint, ...LOCAL_AWS });
  try {
    const tableName = `bench-${randomUUID().slice(0, 8)}`;
    await ensureTable(client, tableName);
    await usageFigures(report, { endpoint: dynamodb.endpoint, tableName });
    report.lines();
  } finally {
    client.destroy();
    await dynamodb.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
