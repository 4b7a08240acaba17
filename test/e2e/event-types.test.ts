import { readFileSync } from 'node:fs';
// ajv comes with @readme/openapi-parser; draft 2020-12 is OpenAPI 3.1's schema dialect.
import Ajv2020 from 'ajv/dist/2020';
import { OPENAPI_FILES } from '../../bin/openapi';
import { EVENT_TYPES } from '../../lambdas/core/events/model';
import type { LocalKeygate } from '../../local/app';
import { eventSchema } from '../../openapi/responses';
import { fixedClock } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

/**
 * Every type of audit event keygate writes, caused through the real routes, jobs and reconciler
 * of the local gateway, and read back through both listings: each event must fit the committed
 * document's `Event` schema (and each page its `EventPage`), as a client generated from
 * `openapi.json` or a schema-validating proxy would hold them.
 */

type Json = Record<string, any>;

const DOCUMENT = JSON.parse(readFileSync(OPENAPI_FILES.document, 'utf8')) as Json;
const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true, validateSchema: false });
ajv.addSchema(DOCUMENT, 'openapi.json');
const validEvent = ajv.compile({ $ref: 'openapi.json#/components/schemas/Event' });
const validPage = ajv.compile({ $ref: 'openapi.json#/components/schemas/EventPage' });

const clock = fixedClock(instant(0, '10:00'));
let keygate: LocalKeygate;
let operator: string;
let owner: string;

const api = async (method: string, path: string, key: string, body?: unknown) => {
  const answer = await call(keygate.url, method, path, { key, ...(body === undefined ? {} : { body }) });
  expect([method, path, answer.status < 300]).toEqual([method, path, true]);
  return answer.body;
};

/** Every event of a listing, page after page, each page checked against `EventPage`. */
async function everyEvent(path: string, key: string): Promise<Json[]> {
  const events: Json[] = [];
  let cursor: string | undefined;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const page = await api(
      'GET',
      `${path}${separator}limit=100${cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`}`,
      key,
    );
    expect([path, validPage(page) ? 'fits' : ajv.errorsText(validPage.errors)]).toEqual([path, 'fits']);
    events.push(...(page.items as Json[]));
    cursor = page.cursor as string | undefined;
  } while (cursor !== undefined);
  return events;
}

/** The events that do not fit the document's `Event` schema, with why. */
const misfits = (events: Json[]) =>
  events.flatMap((event) => {
    const problems = [
      ...(validEvent(event) ? [] : [ajv.errorsText(validEvent.errors)]),
      ...(eventSchema.safeParse(event).success ? [] : ['not an ISO instant, or another zod-only rule']),
    ];
    return problems.length === 0 ? [] : [{ type: event.type, actor: event.actor, problems }];
  });

beforeAll(async () => {
  keygate = await startTestKeygate({ clock, staleAfterDays: 5 });
  operator = keygate.operatorKey as string;
});
afterAll(async () => {
  await keygate.stop();
});

describe('every event type keygate writes fits the OpenAPI document', () => {
  it('causes each type through the real routes, jobs and reconciler, and both listings fit', async () => {
    // tenant.created (by the operator; the operator tenant's own by the admin CLI's bootstrap).
    owner = (await api('POST', '/v1/panel/tenants', operator, { tenantId: 'evt-acme', name: 'Acme', plan: 'scale' }))
      .key.key;
    // key.created, .renamed, .revoked, .enabled, .rotated, .deleted, by the tenant's own key.
    const ci = await api('POST', '/v1/keys', owner, { name: 'ci' });
    await api('PATCH', `/v1/keys/${ci.id}`, owner, { name: 'ci 2' });
    await api('POST', `/v1/keys/${ci.id}/revoke`, owner);
    await api('POST', `/v1/keys/${ci.id}/enable`, owner);
    const rotated = await api('POST', `/v1/keys/${ci.id}/rotate`, owner, { gracePeriodHours: 0 });
    await api('DELETE', `/v1/keys/${rotated.id}`, owner);
    // the operator acting for the tenant, through the panel's key routes.
    const panelKey = await api('POST', '/v1/panel/tenants/evt-acme/keys', operator, { name: 'by operator' });
    await api('PATCH', `/v1/panel/tenants/evt-acme/keys/${panelKey.id}`, operator, { name: 'renamed by operator' });
    await api('POST', `/v1/panel/tenants/evt-acme/keys/${panelKey.id}/revoke`, operator);
    // key.imported: a key issued elsewhere, by its hash.
    await api('POST', '/v1/panel/tenants/evt-acme/keys/import', operator, {
      keys: [{ sha256: 'ab'.repeat(32), last4: 'abcd', name: 'brought in', role: 'admin' }],
    });
    // key.leaked.
    const pasted = await api('POST', '/v1/keys', owner, { name: 'pasted' });
    await api('POST', '/v1/panel/leaks', operator, { key: pasted.key, url: 'https://example.com/paste' });
    // session.created by the operator; a key change and session.revoked (sign out) by the member's session.
    const member = await api('POST', '/v1/panel/tenants/evt-acme/sessions', operator, {
      role: 'admin',
      user: { id: 'u_evt', name: 'Eve' },
    });
    await api('POST', '/v1/keys', member.token, { name: 'by a member' });
    await api('DELETE', '/v1/session', member.token);
    // tenant.plan_changed, then tenant.plan_applied by the reconciler; .suspended, .resumed.
    await api('PUT', '/v1/panel/tenants/evt-acme/plan', operator, {
      plan: 'enterprise',
      rateLimit: 50,
      burstLimit: 100,
      quota: { limit: 100_000, period: 'MONTH' },
    });
    await keygate.reconciled();
    await api('POST', '/v1/panel/tenants/evt-acme/suspend', operator);
    await api('POST', '/v1/panel/tenants/evt-acme/resume', operator);
    // tenant.workspaces_changed.
    await api('PUT', '/v1/panel/tenants/evt-acme/workspaces', operator, { workspaces: ['ws-a', 'ws-b'] });
    // key.expiring, key.stale, then key.expired: the daily notices, on the clock.
    await api('POST', '/v1/keys', owner, { name: 'weekly', expiresInDays: 7 });
    clock.set(instant(6, '00:05'));
    await keygate.runNotices();
    clock.set(instant(7, '00:05'));
    await keygate.runNotices();
    // tenant.deleted, of another tenant.
    await api('POST', '/v1/panel/tenants', operator, { tenantId: 'evt-gone', name: 'Gone', plan: 'starter' });
    await api('DELETE', '/v1/panel/tenants/evt-gone', operator);

    const panel = await everyEvent('/v1/panel/events', operator);
    const tenant = await everyEvent('/v1/events', owner);
    expect([...new Set(panel.map((event) => event.type))].sort()).toEqual([...EVENT_TYPES].sort());
    expect([...new Set(tenant.map((event) => event.type))].sort()).toEqual(
      EVENT_TYPES.filter((type) => type !== 'tenant.deleted').sort(),
    );
    // every kind of actor, too: a key, the operator for a tenant, and each system that acts.
    const actors = new Set(
      panel.map((event) =>
        'system' in event.actor
          ? event.actor.system
          : 'session' in event.actor
            ? 'session'
            : event.actor.onBehalfOf === undefined
              ? 'key'
              : 'on behalf',
      ),
    );
    expect([...actors].sort()).toEqual(['admin-cli', 'key', 'on behalf', 'reconciler', 'scheduler', 'session']);
    expect(misfits(panel)).toEqual([]);
    expect(misfits(tenant)).toEqual([]);
  });

  it('is a check that does refuse an event the document does not describe', () => {
    const event = {
      id: 'evt_000000000000000000000000',
      type: 'key.created',
      at: instant(0),
      tenantId: 'evt-acme',
      actor: { keyId: 'operator', role: 'owner' },
      details: {},
    };
    expect(misfits([event])).toHaveLength(1);
    expect(misfits([{ ...event, actor: { system: 'scheduler' } }])).toEqual([]);
  });
});
