import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { BusPublisher, busEntry } from '../../lambdas/core/events/publish';
import type { KeygateEvent } from '../../lambdas/core/events/model';
import { EventBridgeBus } from '../../lambdas/runtime/event-bus';
import { recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

const eventBridge = mockClient(EventBridgeClient);
beforeEach(() => eventBridge.reset());

const event = (n: number): KeygateEvent =>
  ({
    id: `evt_${String(n).padStart(24, '0')}`,
    type: 'key.revoked',
    at: instant(0, '10:00'),
    tenantId: 'acme',
    keyId: 'key_1',
    actor: { system: 'github' },
    details: {},
  }) as unknown as KeygateEvent;

describe('EventBridgeBus', () => {
  it('puts the entries as given and reports the ones EventBridge refused by index', async () => {
    eventBridge.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ EventId: 'a' }, { ErrorCode: 'ThrottlingException', ErrorMessage: 'slow down' }, { EventId: 'c' }],
    });
    const entries = [event(1), event(2), event(3)].map((e) => busEntry(e));
    const { failed } = await new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' })).putEvents(entries);
    expect(failed).toEqual([1]);
    expect(eventBridge.commandCalls(PutEventsCommand)[0].args[0].input.Entries).toEqual(
      entries.map((entry) => ({ ...entry })),
    );
  });

  it('lets BusPublisher retry only the refused entry, in order', async () => {
    eventBridge
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ EventId: 'a' }, { ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'b' }] });
    const published = await new BusPublisher(
      new EventBridgeBus(new EventBridgeClient({ region: 'eu-west-1' })),
      recordingLogger(),
    ).publish([event(1), event(2)]);
    expect(published).toBe(2);
    const calls = eventBridge
      .commandCalls(PutEventsCommand)
      .map((call) => call.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail as string).id));
    expect(calls).toEqual([[event(1).id, event(2).id], [event(2).id]]);
  });
});
