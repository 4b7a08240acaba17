import fc from 'fast-check';
import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { DynamoEventReader } from '../../../lambdas/core/events/dynamodb-events';
import { DynamoOutbox } from '../../../lambdas/core/events/dynamodb-outbox';
import type { EventFilter } from '../../../lambdas/core/events/store';
import type { EventType, KeygateEvent } from '../../../lambdas/core/events/model';
import { createTestTable, type TestTable } from '../../support/dynamodb';
import { instant } from '../../support/time';

/**
 * The operator's event listing filtered by type and key, across every tenant or one, on DynamoDB
 * Local: the filters are a filter expression over the newest-first partition, so a page may come
 * back short with a cursor; paging on never skips or repeats an event.
 */

let table: TestTable;
let reader: DynamoEventReader;
const KEYS = ['a', 'b', 'c'].map((c) => `key_${c.repeat(24)}`);
const TYPES: readonly EventType[] = ['key.created', 'key.revoked', 'tenant.suspended'];
const TENANTS = ['acme', 'beta'];

/** Sixty events over an hour, newest last, some at the same millisecond (the id breaks the tie). */
const events: KeygateEvent[] = Array.from({ length: 60 }, (_, i) => ({
  id: `evt_${i.toString(16).padStart(24, '0')}`,
  type: TYPES[i % 3],
  at: instant(-1, `10:${String(Math.floor(i / 2)).padStart(2, '0')}`),
  tenantId: TENANTS[i % 2],
  ...(i % 3 === 2 ? {} : { keyId: KEYS[i % 4 === 3 ? 2 : i % 2] }),
  actor: { system: 'scheduler' },
  details: {},
}));

async function write(into: TestTable, items: readonly KeygateEvent[]): Promise<void> {
  const outbox = new DynamoOutbox(into.tableName);
  for (let i = 0; i < items.length; i += 25)
    await into.doc.send(
      new BatchWriteCommand({
        RequestItems: {
          [into.tableName]: items.slice(i, i + 25).map((event) => ({ PutRequest: { Item: outbox.item(event) } })),
        },
      }),
    );
}

beforeAll(async () => {
  table = await createTestTable('panel-event-filters');
  reader = new DynamoEventReader(table.doc, table.tableName);
  await write(table, events);
});
afterAll(async () => {
  await table.drop();
});

/** Every page of the operator's listing: all tenants', or one tenant's. */
async function pages(limit: number, filter: EventFilter, tenantId?: string) {
  const ids: string[] = [];
  const sizes: number[] = [];
  let cursor: string | undefined;
  do {
    const page =
      tenantId === undefined
        ? await reader.allEvents(limit, cursor, filter)
        : await reader.tenantEvents(tenantId, limit, cursor, filter);
    ids.push(...page.items.map((e) => e.id));
    sizes.push(page.items.length);
    cursor = page.cursor;
  } while (cursor !== undefined);
  return { ids, sizes };
}

const newestFirst = (selected: KeygateEvent[]) =>
  selected
    .map((e) => ({ id: e.id, sort: `${e.at}#${e.id}` }))
    .sort((a, b) => (a.sort < b.sort ? 1 : -1))
    .map((e) => e.id);

describe("the operator's event listing, filtered", () => {
  it('lists only events of a type, or of a key, across tenants, newest first', async () => {
    expect((await reader.allEvents(100, undefined, { type: 'key.revoked' })).items.map((e) => e.id)).toEqual(
      newestFirst(events.filter((e) => e.type === 'key.revoked')),
    );
    expect((await reader.allEvents(100, undefined, { keyId: KEYS[2] })).items.map((e) => e.id)).toEqual(
      newestFirst(events.filter((e) => e.keyId === KEYS[2])),
    );
  });

  it('pages through exactly the matching events, by tenant, type and key, at any page size', async () => {
    const filter = fc.record(
      { type: fc.constantFrom(...TYPES), keyId: fc.constantFrom(...KEYS) },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(
        filter,
        fc.option(fc.constantFrom(...TENANTS), { nil: undefined }),
        fc.integer({ min: 1, max: 7 }),
        async (f, tenantId, limit) => {
          const { ids, sizes } = await pages(limit, f, tenantId);
          expect(ids).toEqual(
            newestFirst(
              events.filter(
                (e) =>
                  (tenantId === undefined || e.tenantId === tenantId) &&
                  (f.type === undefined || e.type === f.type) &&
                  (f.keyId === undefined || e.keyId === f.keyId),
              ),
            ),
          );
          expect(Math.max(...sizes)).toBeLessThanOrEqual(limit);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('answers a short page with a cursor past too many non-matching events, and finds the match after it', async () => {
    const own = await createTestTable('panel-event-bound');
    try {
      const older: KeygateEvent = { ...events[0], id: `evt_${'f'.repeat(24)}`, type: 'key.leaked', at: instant(-2) };
      const newer = Array.from({ length: 520 }, (_, i) => ({
        ...events[0],
        id: `evt_${(i + 1).toString(16).padStart(24, '0')}`,
        at: instant(-1, '10:00'),
      }));
      await write(own, [older, ...newer]);
      const ownReader = new DynamoEventReader(own.doc, own.tableName);
      const first = await ownReader.allEvents(5, undefined, { type: 'key.leaked' });
      expect(first.items).toEqual([]);
      expect(first.cursor).toBeDefined();
      const second = await ownReader.allEvents(5, first.cursor, { type: 'key.leaked' });
      expect(second.items.map((e) => e.id)).toEqual([older.id]);
      expect(second.cursor).toBeUndefined();
    } finally {
      await own.drop();
    }
  });
});
