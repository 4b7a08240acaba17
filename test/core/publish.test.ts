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

  it('stops at a chunk the bus keeps refusing and reports its first record, so the retry (then the DLQ) starts there and nothing after it is published first', async () => {
    const events = Array.from({ length: 15 }, () => event());
    const broken = events[12].id;
    const { bus, calls } = fakeBus((entry) => JSON.parse(entry.Detail).id === broken);
    const records = [
      insert({ pk: 'KEY#key_1', sk: 'KEY' }, 'k'),
      ...events.map((e, i) => insert(outbox.item(e), `s${i}`)),
    ];
    const answer = await publishBatch(records, new BusPublisher(bus, recordingLogger(), undefined, 3));
    // the first chunk (events 0–9) went out; the second (10–14) did not complete: retry from event 10.
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: 's10' }] });
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
