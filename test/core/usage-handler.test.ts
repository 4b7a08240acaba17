import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudWatchLogsEvent } from 'aws-lambda';
import type { AccessRecord } from '../../lambdas/core/usage/access-record';
import { aggregateAccessRecords } from '../../lambdas/core/usage/aggregate';
import { decodeSubscriptionEvent, SubscriptionEventError } from '../../lambdas/core/usage/log-subscription';
import type { UsageBatch, UsageStore } from '../../lambdas/core/usage/usage-store';
import { createUsageHandler } from '../../lambdas/usage/handler';
import { recordingLogger } from '../support/fixtures';
import { fixedClock, instant } from '../support/time';

/**
 * `access-log-subscription.json` is a subscription event as CloudWatch Logs hands it to Lambda
 * (`{"awslogs": {"data"}}`, the message gzipped and base64-encoded), holding six lines of
 * keygate's stage as API Gateway writes them from the access log format (`ACCESS_LOG_FIELDS`,
 * every value quoted, `-` for one missing) at the test clock's base instant: two calls of one
 * key, a request without a key (401), a throttled key (429), a key its policy refuses (403) and
 * the first key again from a second address (IPv6) and client.
 */
const recorded = JSON.parse(
  readFileSync(path.join(__dirname, '..', 'fixtures', 'usage', 'access-log-subscription.json'), 'utf8'),
) as CloudWatchLogsEvent;

/** A subscription event as CloudWatch Logs encodes one. */
function subscriptionEvent(messageType: string, lines: { id: string; message: string }[]): CloudWatchLogsEvent {
  const message = {
    messageType,
    owner: '123456789012',
    logGroup: 'access-logs',
    logStream: 'stream',
    subscriptionFilters: ['usage'],
    logEvents: lines.map((line) => ({ ...line, timestamp: Date.parse(instant(0)) })),
  };
  return { awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message))).toString('base64') } };
}

/** A store that remembers the batches it was given and recognises one given again. */
function recordingStore(): UsageStore & { batches: UsageBatch[] } {
  const batches: UsageBatch[] = [];
  const fail = (): never => {
    throw new Error('not read in these tests');
  };
  return {
    batches,
    apply: async (batch) => {
      const duplicate = batches.some((seen) => seen.id === batch.id);
      batches.push(batch);
      return { duplicate, writes: duplicate ? 0 : batch.counters.length + batch.sources.length };
    },
    readBuckets: fail,
    readSources: fail,
    readTenantDays: fail,
  };
}

function setup(aggregate?: (records: readonly AccessRecord[]) => Promise<never>) {
  const logger = recordingLogger();
  const store = recordingStore();
  const counted: AccessRecord[][] = [];
  const handler = createUsageHandler({
    logger,
    aggregate:
      aggregate ??
      (async (records) => {
        counted.push([...records]);
        return aggregateAccessRecords(records, { store, clock: fixedClock() });
      }),
  });
  return { handler, logger, store, counted };
}

describe('the usage Lambda handler', () => {
  it('counts every line of a recorded subscription event, each with its log event id', async () => {
    const { handler, counted, store } = setup();
    const eventIds = decodeSubscriptionEvent(recorded).logEvents.map((logEvent) => logEvent.id);

    const summary = await handler(recorded);

    expect(summary).toMatchObject({ lines: 6, skipped: 0, counted: 6, duplicate: false });
    expect(counted[0]?.map((record) => record.eventId)).toEqual(eventIds);
    expect(
      counted[0]?.map(({ status, keyId, tenantId, stage, ip }) => ({ status, keyId, tenantId, stage, ip })),
    ).toEqual([
      { status: 200, keyId: 'key_4f0c9d2a7b1e6c3d8a5f2b9e', tenantId: 'acme', stage: 'prod', ip: '203.0.113.10' },
      { status: 201, keyId: 'key_4f0c9d2a7b1e6c3d8a5f2b9e', tenantId: 'acme', stage: 'prod', ip: '203.0.113.10' },
      // refused before the authorizer: no key, so it counts for the stage.
      { status: 401, keyId: undefined, tenantId: undefined, stage: 'prod', ip: '198.51.100.7' },
      { status: 429, keyId: 'key_1a2b3c4d5e6f7a8b9c0d1e2f', tenantId: 'globex', stage: 'prod', ip: '192.0.2.44' },
      { status: 403, keyId: 'key_9b3e7a1c5d2f8e4a6c0b7d1f', tenantId: 'acme', stage: 'prod', ip: '203.0.113.10' },
      { status: 200, keyId: 'key_4f0c9d2a7b1e6c3d8a5f2b9e', tenantId: 'acme', stage: 'prod', ip: '2001:db8::5' },
    ]);
    expect(counted[0]?.[0]).toMatchObject({
      requestTimeEpoch: Date.parse(instant(0, '10:00:00.125')),
      latencyMs: 42,
      environment: 'live',
      userAgent: 'keygate-client/1.4.0 node/22.11.0',
    });
    expect(store.batches).toHaveLength(1);
  });

  it('hands a redelivered batch to the store under the same id, which counts it once', async () => {
    const { handler, store } = setup();

    const first = await handler(recorded);
    const again = await handler(recorded);

    expect(store.batches.map((batch) => batch.id)).toEqual([store.batches[0]?.id, store.batches[0]?.id]);
    expect(first).toMatchObject({ duplicate: false });
    expect(again).toMatchObject({ duplicate: true, writes: 0 });
  });

  it('skips a line that is not an access record, names it by event id only, and counts the rest', async () => {
    const { handler, logger } = setup();
    const good = decodeSubscriptionEvent(recorded).logEvents.slice(0, 2);
    const poison = { id: 'poison-1', message: '{"requestId":"r-1","status":"OK","note":"not a record"}' };

    const summary = await handler(subscriptionEvent('DATA_MESSAGE', [good[0]!, poison, good[1]!]));

    expect(summary).toMatchObject({ lines: 3, skipped: 1, counted: 2 });
    expect(logger.lines).toContainEqual({
      level: 'WARN',
      message: 'usage lines skipped',
      fields: { logGroup: 'access-logs', skipped: 1, eventIds: ['poison-1'] },
    });
    expect(JSON.stringify(logger.lines)).not.toContain('not a record');
  });

  it('counts nothing for a control message', async () => {
    const { handler, counted } = setup();
    const control = subscriptionEvent('CONTROL_MESSAGE', [
      { id: '', message: 'CWL CONTROL MESSAGE: Checking health of destination' },
    ]);

    expect(await handler(control)).toEqual({ lines: 0, skipped: 0, counted: 0, duplicate: false, writes: 0 });
    expect(counted).toEqual([]);
  });

  it('fails an event it cannot decode, so Lambda retries it and then keeps it', async () => {
    const { handler, logger } = setup();

    await expect(handler({ awslogs: { data: 'bm90IGd6aXA=' } })).rejects.toThrow(SubscriptionEventError);
    expect(logger.lines[0]).toMatchObject({ level: 'ERROR', message: 'usage batch not readable' });
  });

  it('fails a batch whose counters cannot be written, so the whole batch is retried', async () => {
    const { handler, logger } = setup(async () => Promise.reject(new Error('ProvisionedThroughputExceeded')));

    await expect(handler(recorded)).rejects.toThrow('ProvisionedThroughputExceeded');
    expect(logger.lines).toContainEqual(
      expect.objectContaining({ level: 'ERROR', message: 'usage batch not counted' }),
    );
  });
});
