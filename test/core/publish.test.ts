import { marshall } from '@aws-sdk/util-dynamodb';
import { DynamoOutbox } from '../../lambdas/core/events/dynamodb-outbox';
import { newEvent, type KeygateEvent } from '../../lambdas/core/events/model';
import {
  BusPublisher,
  busEntry,
  eventOfRecord,
  publishBatch,
  type BusEntry,
  type EventBus,
  type OutboxRecord,
} from '../../lambdas/core/events/publish';
import { createPublisherHandler } from '../../lambdas/publisher/handler';
import { recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

const outbox = new DynamoOutbox('keys');
let clock = Date.parse(instant(0, '10:00'));
const event = (tenantId = 'acme'): KeygateEvent =>
  newEvent({
    type: 'key.revoked',
    tenantId,
    keyId: 'key_000000000000000000000001',
    environment: 'live',
    actor: { system: 'github' },
    at: new Date((clock += 1)),
  });
/** The stream record DynamoDB writes for an item insert (NEW_IMAGE). */
const insert = (item: Record<string, unknown>, sequence: string): OutboxRecord => ({
  eventName: 'INSERT',
  dynamodb: { NewImage: marshall(item, { removeUndefinedValues: true }), SequenceNumber: sequence },
});

/** A bus that refuses what `refuse` says, and records every call. */
function fakeBus(refuse: (entry: BusEntry, call: number) => boolean = () => false) {
  const calls: BusEntry[][] = [];
  const bus: EventBus = {
    putEvents: async (entries) => {
      calls.push([...entries]);
      return { failed: entries.flatMap((entry, index) => (refuse(entry, calls.length) ? [index] : [])) };
    },
  };
  return { bus, calls, delivered: () => calls.flat() };
}

describe('the outbox publisher', () => {
  it('maps an event to an EventBridge entry: source keygate, the type as detail-type, the event as detail', () => {
    const e = event();
    expect(busEntry(e, 'keygate-bus')).toEqual({
      Source: 'keygate',
      DetailType: 'key.revoked',
      Detail: JSON.stringify(e),
      Time: new Date(e.at),
      EventBusName: 'keygate-bus',
    });
  });

  it('reads only event inserts from the stream: not key items, not modifies, not TTL removals', () => {
    const e = event();
    expect(eventOfRecord(insert(outbox.item(e), '1'))).toEqual(e);
    expect(eventOfRecord(insert({ pk: 'KEY#key_1', sk: 'KEY', hash: 'abc' }, '2'))).toBeUndefined();
    expect(eventOfRecord({ ...insert(outbox.item(e), '3'), eventName: 'REMOVE' })).toBeUndefined();
    expect(eventOfRecord({ ...insert(outbox.item(e), '4'), eventName: 'MODIFY' })).toBeUndefined();
  });

  it('publishes a batch in order, in PutEvents chunks of 10', async () => {
    const events = Array.from({ length: 23 }, () => event());
    const { bus, calls, delivered } = fakeBus();
    const handler = createPublisherHandler(new BusPublisher(bus, recordingLogger()));
    const answer = await handler({ Records: events.map((e, i) => insert(outbox.item(e), String(i))) } as never);
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(calls.map((call) => call.length)).toEqual([10, 10, 3]);
    expect(delivered().map((entry) => JSON.parse(entry.Detail).id)).toEqual(events.map((e) => e.id));
  });

  it('retries refused entries, and succeeds when the bus takes them on a later attempt', async () => {
    const events = [event(), event(), event()];
    const { bus, calls } = fakeBus((entry, call) => call === 1 && JSON.parse(entry.Detail).id === events[1].id);
    const answer = await publishBatch(
      events.map((e, i) => insert(outbox.item(e), String(i))),
      new BusPublisher(bus, recordingLogger()),
    );
    expect(answer).toEqual({ batchItemFailures: [] });
    expect(calls[1].map((entry) => JSON.parse(entry.Detail).id)).toEqual([events[1].id]);
  });

  it('stops at a chunk the bus keeps refusing and reports the first entry it refused, so the retry starts there and no later chunk goes out first', async () => {
    const events = Array.from({ length: 15 }, () => event());
    const broken = events[12].id;
    const { bus, calls } = fakeBus((entry) => JSON.parse(entry.Detail).id === broken);
    const records = [
      insert({ pk: 'KEY#key_1', sk: 'KEY' }, 'k'),
      ...events.map((e, i) => insert(outbox.item(e), `s${i}`)),
    ];
    const answer = await publishBatch(records, new BusPublisher(bus, recordingLogger(), undefined, 3));
    // the first chunk (events 0–9) went out; of the second (10–14) the bus kept refusing event 12.
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 's12' }] });
    expect(calls).toHaveLength(1 + 3);
  });

  it('treats a PutEvents error like a refusal of the whole chunk', async () => {
    const logger = recordingLogger();
    const bus: EventBus = { putEvents: async () => Promise.reject(new Error('throttled')) };
    const answer = await publishBatch([insert(outbox.item(event()), 'only')], new BusPublisher(bus, logger));
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 'only' }] });
    expect(logger.lines.map((line) => line.message)).toEqual([
      'PutEvents failed',
      'PutEvents failed',
      'PutEvents failed',
    ]);
  });
});

/**
 * A DynamoDB event source mapping as Lambda documents it, for one shard: a function error with
 * `BisectBatchOnFunctionError` halves the batch (no retry spent); a partial batch response
 * checkpoints before the returned sequence number and retries the rest (one retry spent); a
 * batch out of retries goes to the on-failure destination as its sequence range only.
 * https://docs.aws.amazon.com/lambda/latest/dg/services-ddb-batchfailurereporting.html
 * https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html
 */
async function runShard(
  records: readonly OutboxRecord[],
  handler: (event: { Records: OutboxRecord[] }) => Promise<{ batchItemFailures: { itemIdentifier: string }[] }>,
  { bisect, retryAttempts }: { bisect: boolean; retryAttempts: number },
): Promise<{ start: string; end: string }[]> {
  const seq = (record: OutboxRecord) => record.dynamodb?.SequenceNumber ?? '';
  const discarded: { start: string; end: string }[] = [];
  const pending: { batch: OutboxRecord[]; retries: number }[] = [{ batch: [...records], retries: 0 }];
  while (pending.length > 0) {
    const { batch, retries } = pending.shift()!;
    let failedAt: number;
    try {
      const { batchItemFailures } = await handler({ Records: batch });
      if (batchItemFailures.length === 0) continue;
      failedAt = batch.findIndex((record) => seq(record) === batchItemFailures[0].itemIdentifier);
    } catch {
      if (bisect && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        pending.unshift({ batch: batch.slice(0, half), retries }, { batch: batch.slice(half), retries });
        continue;
      }
      failedAt = 0;
    }
    const rest = batch.slice(failedAt);
    if (retries >= retryAttempts) discarded.push({ start: seq(rest[0]), end: seq(rest[rest.length - 1]) });
    else pending.unshift({ batch: rest, retries: retries + 1 });
  }
  return discarded;
}

describe('a poison record', () => {
  /** 100 events with a record at `at` that can never be published (its item is not an event). */
  const batchWithPoison = (at: number) => {
    const events = Array.from({ length: 100 }, () => event());
    const records = events.map((e, i) => insert(outbox.item(e), `s${String(i).padStart(3, '0')}`));
    records[at] = insert({ ...outbox.item(events[at]), id: 42, type: null }, records[at].dynamodb!.SequenceNumber!);
    return { events, records };
  };

  it('is reported as the failed item, after the events before it are published', async () => {
    const { events, records } = batchWithPoison(37);
    const { bus, delivered } = fakeBus();
    const answer = await publishBatch(records, new BusPublisher(bus, recordingLogger()));
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 's037' }] });
    expect(delivered().map((entry) => JSON.parse(entry.Detail).id)).toEqual(events.slice(0, 37).map((e) => e.id));
  });

  it('is isolated by bisection: every other event is published and only its own sequence number is discarded', async () => {
    const { events, records } = batchWithPoison(37);
    const { bus, delivered } = fakeBus();
    const handler = createPublisherHandler(new BusPublisher(bus, recordingLogger()));
    const discarded = await runShard(records, handler as never, { bisect: true, retryAttempts: 3 });
    expect(discarded).toEqual([{ start: 's037', end: 's037' }]);
    const published = new Set(delivered().map((entry) => JSON.parse(entry.Detail).id));
    expect(events.filter((_e, i) => i !== 37).every((e) => published.has(e.id))).toBe(true);
  });
});
