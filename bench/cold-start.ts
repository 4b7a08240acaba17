/**
 * Figure 4, cold start: each sample a fresh `node` process that loads a bundle built as
 * `cdk synth` builds it, with the function's environment (DynamoDB Local as the endpoint, dummy
 * credentials), and makes one authorization; its CPU time (user + system, `process.cpuUsage()`
 * in the child when the handler answers), median over the processes. The variants take turns
 * process by process, so the machine's noise falls on each alike.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Bundle, Bundler } from './bundles';
import { KEY_FORMAT, METHOD_ARN, type BenchKey } from './fixture';
import { median, printTable, size, type Report } from './report';

const run = promisify(execFile);

interface Variant {
  readonly figure: string;
  readonly label: string;
  readonly bundle: Bundle;
  /** Whether the handler must answer Allow (the empty handler answers nothing). */
  readonly authorizes: boolean;
}

export async function coldStartFigures(
  report: Report,
  bundler: Bundler,
  authorizer: Bundle,
  endpoint: string,
  tableName: string,
  key: BenchKey,
): Promise<void> {
  const empty = await bundler.cdkBundle('empty', join(__dirname, 'cold', 'empty.ts'), false);
  const sdk = await bundler.cdkBundle('sdk-baseline', join(__dirname, 'cold', 'sdk-authorizer.ts'), true);
  const aws4fetch = await bundler.cdkBundle(
    'authorizer-aws4fetch',
    join(__dirname, 'cold', 'aws4fetch-authorizer.ts'),
    false,
  );
  const httpFloor = await bundler.cdkBundle('http-floor', join(__dirname, 'cold', 'http-floor.ts'), false);
  const sdkNoMaps = await bundler.cdkBundle(
    'sdk-baseline-no-maps',
    join(__dirname, 'cold', 'sdk-authorizer.ts'),
    false,
  );
  const variants: Variant[] = [
    { figure: 'empty_cold_ms', label: 'empty handler', bundle: empty, authorizes: false },
    {
      figure: 'http_floor_cold_ms',
      label: 'floor: node:https + node:crypto loaded, one HMAC, one POST to DynamoDB Local (no keygate code)',
      bundle: httpFloor,
      authorizes: false,
    },
    {
      figure: 'authorizer_cold_ms',
      label: 'authorizer (node:https + SigV4 on node:crypto, no source maps)',
      bundle: authorizer,
      authorizes: true,
    },
    {
      figure: 'authorizer_aws4fetch_cold_ms',
      label: 'reference: the authorizer on its former aws4fetch reader (fetch + WebCrypto)',
      bundle: aws4fetch,
      authorizes: true,
    },
    {
      figure: 'sdk_baseline_cold_ms',
      label: 'authorizer on @aws-sdk/lib-dynamodb, source maps on (the cdk default)',
      bundle: sdk,
      authorizes: true,
    },
    {
      figure: 'sdk_baseline_no_maps_cold_ms',
      label: 'the same without source maps (reference)',
      bundle: sdkNoMaps,
      authorizes: true,
    },
  ];
  const environment = (bundle: Bundle): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH,
    // what Lambda and the stack set for the authorizer; the credentials are dummies DynamoDB Local accepts.
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local-session',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
    TABLE_NAME: tableName,
    KEY_PREFIX: KEY_FORMAT.prefix,
    KEY_FORMATS: JSON.stringify([KEY_FORMAT]),
    ACCEPT_BARE_KEYS: 'true',
    // the stack renders the typed routes' role rules here (none in keygate's own API).
    ROUTE_ROLES: '[]',
    LAST_USED_INTERVAL_SECONDS: '60',
    DYNAMODB_ENDPOINT: endpoint,
    // this machine runs node 20; on lambda's node 22 the SDK prints no such warning.
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...(bundle.sourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
    BENCH_TOKEN: `Bearer ${key.plaintext}`,
    BENCH_METHOD_ARN: METHOD_ARN,
  });

  const cpu = variants.map((): number[] => []);
  const wall = variants.map((): number[] => []);
  const load = variants.map((): number[] => []);
  const processes = size(15, 3);
  for (let round = 0; round < processes; round += 1) {
    for (const [index, variant] of variants.entries()) {
      const { stdout } = await run(
        process.execPath,
        [join(__dirname, 'cold', 'invoke-once.cjs'), variant.bundle.file],
        {
          env: environment(variant.bundle),
          timeout: 30_000,
        },
      );
      const sample = JSON.parse(stdout) as { cpuMs: number; loadCpuMs: number; wallMs: number; allowed: boolean };
      if (variant.authorizes && !sample.allowed) throw new Error(`${variant.label} did not allow the bench key`);
      cpu[index].push(sample.cpuMs);
      wall[index].push(sample.wallMs);
      load[index].push(sample.loadCpuMs);
    }
  }
  for (const [index, variant] of variants.entries()) {
    report.add(variant.figure, median(cpu[index]), 'ms CPU', `median of ${processes} processes: ${variant.label}`);
  }
  printTable(
    `Cold start, load + one authorization against DynamoDB Local (${processes} fresh node processes each)`,
    ['variant', 'bundle kB', 'CPU ms p50', 'of which loading', 'CPU ms min', 'CPU ms max', 'wall ms p50', 'vs empty'],
    variants.map((variant, index) => [
      variant.label,
      (variant.bundle.bytes / 1024).toFixed(1),
      median(cpu[index]),
      median(load[index]),
      Math.min(...cpu[index]),
      Math.max(...cpu[index]),
      median(wall[index]),
      `${(median(cpu[index]) / median(cpu[0])).toFixed(2)}×`,
    ]),
  );
}
