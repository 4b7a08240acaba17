/**
 * Figure 7, the usage pipeline's cost per million requests: CloudWatch Logs ingestion of the
 * access log, the aggregator's invocations and its DynamoDB reads and writes, at 100 and 10 000
 * active keys. The aggregator runs for real (the bundled code's `aggregateAccessRecords` over
 * `DynamoUsageStore`, against DynamoDB Local, which reports the capacity each call consumes) on a
 * sample of steady traffic; the figures per request scale to 1M.
 *
 * Prices, us-east-1 (https://aws.amazon.com/cloudwatch/pricing/, Logs, Standard class; checked
 * 2026-12-03): $0.50 per GB ingested, $0.03 per GB-month stored (compressed). Lambda and
 * DynamoDB: `PRICES` in ./cost.ts.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import {
  DynamoDBClient,
  ScanCommand,
  type AttributeValue,
  type GetItemCommandInput,
  type TransactWriteItemsCommandInput,
} from '@aws-sdk/client-dynamodb';
import { gzipSync } from 'node:zlib';
import { ACCESS_LOG_FIELDS, parseAccessRecord, type AccessRecord } from '../lambdas/core/usage/access-record';
import { aggregateAccessRecords } from '../lambdas/core/usage/aggregate';
import { DynamoUsageStore } from '../lambdas/core/usage/dynamodb-usage';
import { dataLogEvents } from '../lambdas/core/usage/log-subscription';
import { documentClient } from '../lambdas/runtime/dynamodb-client';
import { LOCAL_AWS } from '../local/dynamodb-local';
import { PRICES } from './cost';
import { printTable, size, type Report } from './report';

export const LOG_PRICES = {
  /** Standard class ingestion, per GB. */
  ingestionPerGb: 0.5,
  /** Storage, per GB-month of compressed data. */
  storagePerGbMonth: 0.03,
} as const;

/** What the model assumes; each is stated in RESULTS.md. */
export const USAGE_ASSUMPTIONS = {
  requests: 1_000_000,
  /** Steady traffic, as in figure 6. */
  requestsPerSecond: 100,
  /** Active keys per tenant: 100 keys are 10 tenants, 10 000 keys 1 000. */
  keysPerTenant: 10,
  /** `lib/usage-pipeline.ts`: the house default of `KeygateFunction`. */
  memoryGb: 0.25,
  /**
   * Access log lines per invocation. AWS documents no batch size for a subscription's deliveries,
   * only their bounds: a delivery holds events of one log stream from one `PutLogEvents` batch,
   * at most 10 000 events and 1 MiB
   * (https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutLogEvents.html),
   * and it must fit Lambda's asynchronous payload
   * (https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). The model takes
   * one second of traffic per delivery (100 lines at 100 req/s) and shows 10 and 500 beside it.
   */
  batchSizes: [10, 100, 500],
  /** CloudWatch Logs counts each event's size as its UTF-8 message plus 26 bytes (PutLogEvents, above). */
  eventOverheadBytes: 26,
  /** The access log's retention (`keygate:accessLogRetentionDays`), for its storage. */
  retentionMonths: 1,
  /** Share of requests refused before the authorizer (no key): they count per stage. */
  refusedShare: 0.01,
  /** Share of a key's requests from its second source address. */
  secondSourceShare: 0.1,
} as const;

const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'usage', 'access-log-subscription.json');

/** The recorded access log lines: their mean size is what CloudWatch Logs ingests per request. */
function recordedLines(): string[] {
  const event = JSON.parse(readFileSync(FIXTURE, 'utf8')) as unknown;
  return dataLogEvents(event).logEvents.map((logEvent) => logEvent.message);
}

/** A small deterministic generator (mulberry32), so every run counts the same traffic. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `count` requests of steady traffic from `activeKeys` keys, as the parser reads them from the log. */
function traffic(activeKeys: number, count: number, startMs: number, seed: number): AccessRecord[] {
  const next = random(seed);
  const { requestsPerSecond, keysPerTenant, refusedShare, secondSourceShare } = USAGE_ASSUMPTIONS;
  const records: AccessRecord[] = [];
  for (let i = 0; i < count; i += 1) {
    const at = startMs + Math.floor((i * 1000) / requestsPerSecond);
    const key = Math.floor(next() * activeKeys);
    const refused = next() < refusedShare;
    const roll = next();
    const status = refused ? 401 : roll < 0.95 ? 200 : roll < 0.97 ? 201 : roll < 0.99 ? 404 : 429;
    const second = next() < secondSourceShare;
    records.push({
      requestId: `req-${seed}-${i}`,
      eventId: `ev-${seed}-${i}`,
      requestTimeEpoch: at,
      stage: 'prod',
      ip: refused ? '198.51.100.7' : `10.${(key >> 8) & 255}.${key & 255}.${second ? 2 : 1}`,
      method: 'GET',
      resource: '/v1/me',
      status,
      latencyMs: 20 + Math.floor(next() * 80),
      ...(refused
        ? {}
        : {
            keyId: `key_${String(key).padStart(24, '0')}`,
            tenantId: `tenant-${Math.floor(key / keysPerTenant)}`,
            environment: 'live',
            userAgent: second ? 'python-requests/2.32.3' : 'keygate-client/1.4.0 node/22.11.0',
          }),
    });
  }
  return records;
}

interface Measured {
  readonly batches: number;
  readonly records: number;
  /** Counter and source items written (markers apart), as the aggregator reports them. */
  readonly itemsWritten: number;
  readonly maxItemsPerBatch: number;
  readonly wru: number;
  readonly rru: number;
  readonly msPerBatch: number[];
}

/**
 * An item's size as DynamoDB bills it: each attribute's name and value in UTF-8; a number one
 * byte per two significant digits plus one; a list or map 3 bytes plus one per element and its
 * elements (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
 */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueBytes(value), 0);
}

function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) {
    const digits = value.N.replace(/^-/, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
    return Math.ceil(Math.max(1, digits.length) / 2) + 1;
  }
  if (value.L !== undefined) return 3 + value.L.reduce((sum, element) => sum + 1 + valueBytes(element), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemBytes(value.M);
  return 1;
}

/** One item of a committed transaction: what it wrote, and whether it also wrote the tenant index. */
interface Written {
  readonly id: string;
  readonly putBytes?: number;
  readonly indexed: boolean;
}

/**
 * Runs the aggregator over `records` in batches of `batchSize`, against DynamoDB Local, recording
 * every item of every committed transaction and every read. Capacity is computed from the items'
 * sizes by DynamoDB's rules (a transactional write costs 2 WRU per KB of the item, an update's
 * size is the item's after it, a strongly consistent read 1 RRU per 4 KB): DynamoDB Local's own
 * `ConsumedCapacity` for a transaction does not count every item.
 */
async function measure(
  endpoint: string,
  tableName: string,
  records: readonly AccessRecord[],
  batchSize: number,
): Promise<Measured> {
  const raw = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  const written: Written[] = [];
  const read: string[] = [];
  const id = (key: Record<string, AttributeValue>): string => `${key.pk?.S}\u0000${key.sk?.S}`;
  // after lib-dynamodb has marshalled the request: the items as DynamoDB receives them.
  raw.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const input = args.input as TransactWriteItemsCommandInput & GetItemCommandInput;
      if (context.commandName === 'GetItemCommand' && input.Key !== undefined) read.push(id(input.Key));
      if (context.commandName === 'TransactWriteItemsCommand') {
        for (const item of input.TransactItems ?? []) {
          if (item.Put?.Item !== undefined) {
            written.push({ id: id(item.Put.Item), putBytes: itemBytes(item.Put.Item), indexed: false });
          } else if (item.Update?.Key !== undefined) {
            written.push({
              id: id(item.Update.Key),
              indexed: item.Update.ExpressionAttributeValues?.[':day'] !== undefined,
            });
          }
        }
      }
      return result;
    },
    { step: 'build', name: 'capacityCount' },
  );
  const store = new DynamoUsageStore({ client: documentClient(raw), tableName });
  const clock = (): Date => new Date(records[0]?.requestTimeEpoch ?? 0);
  let itemsWritten = 0;
  let maxItemsPerBatch = 0;
  const msPerBatch: number[] = [];
  try {
    for (let start = 0; start < records.length; start += batchSize) {
      const batch = records.slice(start, start + batchSize);
      const began = process.hrtime.bigint();
      const result = await aggregateAccessRecords(batch, { store, clock });
      msPerBatch.push(Number(process.hrtime.bigint() - began) / 1e6);
      itemsWritten += result.writes;
      maxItemsPerBatch = Math.max(maxItemsPerBatch, result.writes);
    }
    // an update is billed on the item's size after it; counters only grow, so their final size bounds each write.
    const finalBytes = new Map<string, number>();
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await raw.send(new ScanCommand({ TableName: tableName, ExclusiveStartKey: startKey }));
      for (const item of page.Items ?? []) finalBytes.set(id(item), itemBytes(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);
    const kb = (bytes: number, unit: number): number => Math.max(1, Math.ceil(bytes / unit));
    let wru = 0;
    for (const item of written) {
      const bytes = item.putBytes ?? finalBytes.get(item.id) ?? 1024;
      wru += 2 * kb(bytes, 1024);
      // the tenant index projects every attribute: a tenant-day update writes it too, not transactionally.
      if (item.indexed) wru += kb(bytes, 1024);
    }
    const rru = read.reduce((sum, key) => sum + kb(finalBytes.get(key) ?? 0, 4096), 0);
    return {
      batches: msPerBatch.length,
      records: records.length,
      itemsWritten,
      maxItemsPerBatch,
      wru,
      rru,
      msPerBatch,
    };
  } finally {
    raw.destroy();
  }
}

/** The pipeline's cost per 1M requests at each active-key count and batch size. */
export async function usageFigures(report: Report, dynamodb: { endpoint: string; tableName: string }): Promise<void> {
  const lines = recordedLines();
  const lineBytes = lines.reduce((sum, line) => sum + Buffer.byteLength(line), 0) / lines.length;
  const eventBytes = lineBytes + USAGE_ASSUMPTIONS.eventOverheadBytes;
  // what the usage fields (`requestTimeEpoch`, `stage`) add to each line.
  const withoutNew = lines.map((line) => {
    const { requestTimeEpoch: _epoch, stage: _stage, ...rest } = JSON.parse(line) as Record<string, string>;
    return Buffer.byteLength(JSON.stringify(rest));
  });
  const addedBytes = lineBytes - withoutNew.reduce((sum, bytes) => sum + bytes, 0) / withoutNew.length;
  const compressed = gzipSync(Buffer.from(lines.join('\n'))).length / lines.length;
  for (const line of lines) if (parseAccessRecord(line) === undefined) throw new Error(`not a record: ${line}`);
  report.add(
    'usage_log_line_bytes',
    lineBytes,
    'bytes',
    `mean of the recorded access log lines (${Object.keys(ACCESS_LOG_FIELDS).length} fields)`,
  );
  report.add('usage_log_line_added_bytes', addedBytes, 'bytes', 'of which the usage fields requestTimeEpoch and stage');

  const { requests, memoryGb, requestsPerSecond } = USAGE_ASSUMPTIONS;
  const ingestionUsd = ((requests * eventBytes) / 1e9) * LOG_PRICES.ingestionPerGb;
  const storageUsd = ((requests * compressed) / 1e9) * LOG_PRICES.storagePerGbMonth * USAGE_ASSUMPTIONS.retentionMonths;
  const sample = size(10_000, 1_000);
  const rows: (string | number)[][] = [];
  let seed = 1;
  for (const keys of [100, 10_000]) {
    for (const batchSize of USAGE_ASSUMPTIONS.batchSizes) {
      // each sample starts on an hour of its own, so no two share a counter item.
      const start = Date.UTC(2001, 10, 23 + seed, 10, 0, 0);
      const records = traffic(keys, sample, start, (seed += 1));
      const m = await measure(dynamodb.endpoint, dynamodb.tableName, records, batchSize);
      const scale = requests / m.records;
      const invocations = requests / batchSize;
      const warmMs = Math.ceil(m.msPerBatch.slice(1).reduce((sum, ms) => sum + ms, 0) / Math.max(1, m.batches - 1));
      const gbSeconds = (invocations * warmMs * memoryGb) / 1000;
      const lambdaUsd = invocations * PRICES.lambdaPerRequest + gbSeconds * PRICES.lambdaPerGbSecond;
      const dynamodbUsd = m.wru * scale * PRICES.writeRequestUnit + m.rru * scale * PRICES.readRequestUnit;
      const totalUsd = ingestionUsd + storageUsd + lambdaUsd + dynamodbUsd;
      const name = `usage_cost_usd_per_million_keys${keys}_batch${batchSize}`;
      report.add(
        name,
        totalUsd,
        'USD',
        'access log ingestion and storage + aggregator Lambda + DynamoDB, per 1M requests',
      );
      report.add(
        `usage_items_per_batch_keys${keys}_batch${batchSize}`,
        m.itemsWritten / m.batches,
        'items',
        'counter and source items written per batch (markers apart), mean',
      );
      rows.push([
        keys,
        batchSize,
        Math.round(invocations),
        `${(m.itemsWritten / m.batches).toFixed(1)} / ${m.maxItemsPerBatch}`,
        Math.round(m.wru * scale),
        Math.round(m.rru * scale),
        warmMs,
        `$${ingestionUsd.toFixed(4)} + $${storageUsd.toFixed(4)}`,
        `$${lambdaUsd.toFixed(4)}`,
        `$${dynamodbUsd.toFixed(4)}`,
        `$${totalUsd.toFixed(4)}`,
      ]);
    }
  }
  printTable(
    `Usage pipeline cost per 1M requests (access log line ${lineBytes.toFixed(0)} B + ${USAGE_ASSUMPTIONS.eventOverheadBytes} B per event, ${compressed.toFixed(0)} B gzipped; ${requestsPerSecond} req/s; sample of ${sample} requests per row over DynamoDB Local)`,
    [
      'active keys',
      'lines per invocation',
      'invocations',
      'items written per batch, mean / max',
      'WRU',
      'RRU',
      'ms per batch',
      'CloudWatch Logs (ingest + 1 month)',
      'Lambda',
      'DynamoDB',
      'total',
    ],
    rows,
  );
}
