import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DynamoOutbox } from '../../../lambdas/core/events/dynamodb-outbox';
import { newEvent, type KeygateEvent } from '../../../lambdas/core/events/model';
import { BusPublisher } from '../../../lambdas/core/events/publish';
import { parseReplayWindow, replayEvents } from '../../../lambdas/core/events/replay';
import { EventBridgeBus } from '../../../lambdas/runtime/event-bus';
import { createTestTable, type TestTable } from '../../support/dynamodb';
import { recordingLogger } from '../../support/fixtures';
import { instant } from '../../support/time';

const eventBridge = mockClient(EventBridgeClient);
const NOW = new Date(instant(0, '12:00'));
const hours = (h: number) => new Date(NOW.getTime() + h * 3_600_000);

let table: TestTable;
let outbox: DynamoOutbox;
/** Events one hour apart, from 10 hours ago to 1 hour ago, over three tenants. */
let stored: KeygateEvent[];
beforeAll(async () => {
  table = await createTestTable('replay');
  outbox = new DynamoOutbox(table.tableName);
  stored = Array.from({ length: 10 }, (_, i) =>
    newEvent({
      type: 'key.revoked',
      tenantId: ['acme', 'globex', 'initech'][i % 3],
      keyId: `key_${String(i).padStart(24, '0')}`,
      environment: 'live',
      actor: { system: 'scheduler' },
      at: hours(i - 10),
    }),
  );
  // written out of order: the replay sorts by instant, not by write.
  for (const event of [...stored].reverse())
    await table.doc.send(new PutCommand({ TableName: table.tableName, Item: outbox.item(event) }));
  // a key item in the table: never replayed.
  await table.doc.send(new PutCommand({ TableName: table.tableName, Item: { pk: 'KEY#key_1', sk: 'KEY', hash: 'x' } }));
});
afterAll(async () => {
  await table.drop();
});
beforeEach(() => eventBridge.reset());

const publisher = () =>
  new BusPublisher(
    new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' })),
    recordingLogger(),
    'keygate-bus',
  );
const replayedDetails = () =>
  eventBridge
    .commandCalls(PutEventsCommand)
    .flatMap((call) => call.args[0].input.Entries ?? [])
    .map((entry) => ({ bus: entry.EventBusName, type: entry.DetailType, detail: JSON.parse(entry.Detail as string) }));

describe('replaying events from the table', () => {
  it('publishes the events of [from, to) again, oldest first, each with its own id for consumers to deduplicate', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake(({ Entries }) => ({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'x' })) }));

    const result = await replayEvents(
      { client: table.doc, tableName: table.tableName, publisher: publisher(), pageSize: 3 },
      { from: hours(-8), to: hours(-3) },
    );

    expect(result).toEqual({ read: 5, published: 5 });
    const replayed = replayedDetails();
    expect(replayed.map((entry) => entry.detail)).toEqual(stored.slice(2, 7));
    expect(replayed.every((entry) => entry.bus === 'keygate-bus' && entry.type === 'key.revoked')).toBe(true);
  });

  it('is idempotent for consumers: a second replay publishes the same ids again', async () => {
    eventBridge
      .on(PutEventsCommand)
      .callsFake(({ Entries }) => ({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: 'x' })) }));
    const window = { from: hours(-10), to: hours(0) };
    const deps = { client: table.doc, tableName: table.tableName, publisher: publisher() };
    await replayEvents(deps, window);
    await replayEvents(deps, window);
    const ids = replayedDetails().map((entry) => entry.detail.id);
    expect(ids).toEqual([...stored, ...stored].map((event) => event.id));
  });

  it('stops at an event EventBridge keeps refusing and says where to resume, publishing nothing after it', async () => {
    eventBridge.on(PutEventsCommand).callsFake(({ Entries }) => {
      const results = Entries.map((entry: { Detail: string }) =>
        JSON.parse(entry.Detail).id === stored[4].id ? { ErrorCode: 'InternalFailure' } : { EventId: 'x' },
      );
      return { FailedEntryCount: results.filter((r: { ErrorCode?: string }) => r.ErrorCode).length, Entries: results };
    });

    const result = await replayEvents(
      { client: table.doc, tableName: table.tableName, publisher: publisher(), pageSize: 3 },
      { from: hours(-10), to: hours(0) },
    );

    expect(result).toEqual({ read: 6, published: 4, resumeFrom: stored[4].at });
    const ids = new Set(replayedDetails().map((entry) => entry.detail.id));
    expect(stored.slice(6).some((event) => ids.has(event.id))).toBe(false);
  });
});

describe('the replay window', () => {
  it('takes two ISO 8601 instants, from before to', () => {
    expect(parseReplayWindow(hours(-2).toISOString(), hours(-1).toISOString())).toEqual({
      from: hours(-2),
      to: hours(-1),
    });
  });

  it.each([
    [undefined, hours(-1).toISOString(), /--from/],
    [hours(-1).toISOString(), undefined, /--to/],
    ['yesterday', hours(-1).toISOString(), /--from must be an ISO 8601 instant.*received "yesterday"/],
    [hours(-1).toISOString(), hours(-2).toISOString(), /--from must be before --to/],
  ])('refuses from %p to %p', (from, to, message) => {
    expect(() => parseReplayWindow(from, to)).toThrow(message);
  });
});
