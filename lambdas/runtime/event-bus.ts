import { PutEventsCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { BusEntry, EventBus } from '../core/events/publish';

/** {@link EventBus} on EventBridge's `PutEvents`: the entries it refuses carry an `ErrorCode`. */
export class EventBridgeBus implements EventBus {
  constructor(private readonly client: EventBridgeClient) {}

  async putEvents(entries: readonly BusEntry[]): Promise<{ readonly failed: readonly number[] }> {
    const out = await this.client.send(new PutEventsCommand({ Entries: entries.map((entry) => ({ ...entry })) }));
    const failed: number[] = [];
    (out.Entries ?? []).forEach((result, index) => {
      if (result.ErrorCode !== undefined && result.ErrorCode !== null) failed.push(index);
    });
    return { failed };
  }
}
