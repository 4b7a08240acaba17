import type { Environment } from '../keys/format';
import type { EventType, KeygateEvent } from './model';

/** Filters of an event listing; every one given must hold. */
export interface EventFilter {
  readonly type?: EventType;
  readonly keyId?: string;
  /** Only events of keys of this environment (tenant-wide events have none, and are left out). */
  readonly environment?: Environment;
}

/** One page of events, newest first. */
export interface EventPage {
  readonly items: readonly KeygateEvent[];
  /** Opaque; pass it back for the next page. Absent on the last page. */
  readonly cursor?: string;
}

/** Reads the audit trail the outbox writes. */
export interface EventReader {
  /** One tenant's events, newest first; `invalid_request` for a cursor not issued for this tenant. */
  tenantEvents(tenantId: string, limit: number, cursor?: string, filter?: EventFilter): Promise<EventPage>;
  /**
   * Every tenant's events, or those `filter` selects, newest first (the operator's view). A
   * filtered page may hold fewer than `limit` events and still a cursor.
   */
  allEvents(limit: number, cursor?: string, filter?: EventFilter): Promise<EventPage>;
}
