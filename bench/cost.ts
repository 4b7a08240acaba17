/**
 * Figure 6, a cost model per million requests through the authorizer, from this run's figures.
 *
 * Prices (us-east-1, checked 2026-11-23 against public pricing pages; DynamoDB's are the
 * on-demand prices after AWS's November 2024 cut): Lambda arm64 $0.20 per 1M requests and
 * $0.0000133334 per GB-s, INIT billed like duration since August 2025; DynamoDB on demand
 * $0.125 per 1M read request units and $0.625 per 1M write request units.
 */
import { printTable, type Report } from './report';

export const PRICES = {
  lambdaPerRequest: 0.2 / 1e6,
  lambdaPerGbSecond: 0.0000133334,
  readRequestUnit: 0.125 / 1e6,
  writeRequestUnit: 0.625 / 1e6,
} as const;

/** What the model assumes; each is stated in RESULTS.md. */
export const ASSUMPTIONS = {
  requests: 1_000_000,
  /** Steady traffic, spread evenly over the active keys: 1M requests take 10 000 s. */
  requestsPerSecond: 100,
  /** `lib/key-authorizer.ts`. */
  memoryGb: 0.5,
  /** Lambda gives 1 vCPU at 1769 MB, so at 512 MB a CPU-bound INIT takes about 3.5× its CPU time. */
  vcpuShare: 512 / 1769,
  /** An execution environment is replaced (or a new one started) every 15 minutes of traffic. */
  environmentLifetimeSeconds: 900,
  /** `ThrottledLastUse`: one conditional write per key per minute per environment; a failed one still costs a WRU. */
  lastUseIntervalSeconds: 60,
} as const;

export interface CostRow {
  readonly ttlSeconds: number;
  readonly activeKeys: number;
  readonly invocations: number;
  readonly inits: number;
  readonly gbSeconds: number;
  readonly reads: number;
  readonly writes: number;
  readonly lambdaUsd: number;
  readonly dynamodbUsd: number;
  readonly totalUsd: number;
}

/**
 * invocations = N / (1 + TTL × R / K): each key misses the cache once, is then served from it
 * for TTL seconds, and its next request comes 1 / (R / K) seconds later on average.
 * inits = min(invocations, (N / R) / lifetime); GB-s = memory × (invocations × warm ms + inits × init ms) / 1000;
 * reads = invocations (one strongly consistent GetItem of an item under 4 KB: 1 RRU);
 * writes = min(invocations, K × (N / R) / 60) (items under 1 KB: 1 WRU).
 */
export function costRow(ttlSeconds: number, activeKeys: number, warmMs: number, initMs: number): CostRow {
  const { requests, requestsPerSecond, memoryGb, environmentLifetimeSeconds, lastUseIntervalSeconds } = ASSUMPTIONS;
  const seconds = requests / requestsPerSecond;
  const invocations = requests / (1 + (ttlSeconds * requestsPerSecond) / activeKeys);
  const inits = Math.min(invocations, seconds / environmentLifetimeSeconds);
  const gbSeconds = (memoryGb * (invocations * warmMs + inits * initMs)) / 1000;
  const reads = invocations;
  const writes = Math.min(invocations, (activeKeys * seconds) / lastUseIntervalSeconds);
  const lambdaUsd = invocations * PRICES.lambdaPerRequest + gbSeconds * PRICES.lambdaPerGbSecond;
  const dynamodbUsd = reads * PRICES.readRequestUnit + writes * PRICES.writeRequestUnit;
  return {
    ttlSeconds,
    activeKeys,
    invocations,
    inits,
    gbSeconds,
    reads,
    writes,
    lambdaUsd,
    dynamodbUsd,
    totalUsd: lambdaUsd + dynamodbUsd,
  };
}

/** What the INITs of a row cost, at a given billed INIT duration. */
const initUsd = (inits: number, initMs: number): number =>
  ((inits * initMs) / 1000) * ASSUMPTIONS.memoryGb * PRICES.lambdaPerGbSecond;

export function costFigures(report: Report): void {
  // billed duration rounds up to the millisecond; measured over loopback (add the network in AWS).
  const warmMs = Math.ceil(1000 / report.get('authorizer_ddb_per_s'));
  const initMs = report.get('authorizer_cold_ms') / ASSUMPTIONS.vcpuShare;
  const sdkInitMs = report.get('sdk_baseline_cold_ms') / ASSUMPTIONS.vcpuShare;
  const rows: (string | number)[][] = [];
  for (const ttl of [0, 60, 300]) {
    for (const keys of [1, 100, 10_000]) {
      const row = costRow(ttl, keys, warmMs, initMs);
      const sdk = costRow(ttl, keys, warmMs, sdkInitMs);
      report.add(
        `cost_usd_per_million_ttl${ttl}_keys${keys}`,
        row.totalUsd,
        'USD',
        'authorizer Lambda + DynamoDB, per 1M requests',
      );
      rows.push([
        `${ttl} s`,
        keys,
        Math.round(row.invocations),
        Math.round(row.inits),
        row.gbSeconds,
        Math.round(row.reads),
        Math.round(row.writes),
        `$${row.lambdaUsd.toFixed(4)}`,
        `$${row.dynamodbUsd.toFixed(4)}`,
        `$${row.totalUsd.toFixed(4)}`,
        `$${initUsd(row.inits, initMs).toFixed(6)} / $${initUsd(sdk.inits, sdkInitMs).toFixed(6)}`,
      ]);
    }
  }
  printTable(
    `Cost per 1M requests (warm ${warmMs} ms billed, INIT ${initMs.toFixed(0)} ms billed = cold CPU / ${ASSUMPTIONS.vcpuShare.toFixed(3)} vCPU; ${ASSUMPTIONS.requestsPerSecond} req/s)`,
    [
      'cache TTL',
      'active keys',
      'invocations',
      'INITs',
      'GB-s',
      'RRU',
      'WRU',
      'Lambda',
      'DynamoDB',
      'total',
      'of which INIT: this authorizer / SDK baseline',
    ],
    rows,
  );
}
