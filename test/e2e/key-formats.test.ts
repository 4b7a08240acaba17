import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { keyFormatsOf } from '../../lib/settings';
import type { LocalKeygate } from '../../local/app';
import { localSettings } from '../../local/settings';
import { recordingLogger } from '../support/fixtures';
import { call, startTestKeygate } from '../support/local';

// PostCo documents `sk_` + 64 hex characters, with no environment and no checksum; keys of the
// default format made before the switch keep working while listed in the accepted formats.
const POSTCO = '{"prefix":"sk","environment":false,"checksum":false}';
const DEFAULT = '{"prefix":"sk","environment":true,"checksum":true}';
const cdkJson = join(__dirname, '..', '..', 'cdk.json');

let upstream: Server;
let upstreamUrl: string;
const seen: IncomingHttpHeaders[] = [];
const tableName = `keygate-e2e-${randomUUID().slice(0, 8)}`;
let before: LocalKeygate;
let keygate: LocalKeygate;
let oldOwner: string;
const logger = recordingLogger();

beforeAll(async () => {
  upstream = createServer((req, res) => {
    seen.push(req.headers);
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  // the same table first under the default format, then under PostCo's with the default still accepted.
  before = await startTestKeygate({ tableName });
  oldOwner = (
    await call(before.url, 'POST', '/v1/panel/tenants', {
      key: before.operatorKey as string,
      body: { tenantId: 'before', name: 'Before', plan: 'starter' },
    })
  ).body.key.key;
  await before.stop();
  const settings = localSettings({ KEYGATE_KEY_FORMAT: POSTCO, KEYGATE_ACCEPTED_KEY_FORMATS: `[${DEFAULT}]` }, cdkJson);
  keygate = await startTestKeygate({
    tableName,
    keyFormats: keyFormatsOf(settings),
    logger,
    upstream: { url: upstreamUrl, secret: 'upstream-secret-for-tests' },
  });
});
afterAll(async () => {
  await keygate.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

describe("KEYGATE_KEY_FORMAT set to PostCo's format", () => {
  it('mints sk_ + 64 lowercase hex, and the key works at /v1/me and the front door', async () => {
    const created = await call(keygate.url, 'POST', '/v1/keys', { key: oldOwner, body: { name: 'postco' } });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^sk_[0-9a-f]{64}$/);
    const me = await call(keygate.url, 'GET', '/v1/me', { key });
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ tenant: { tenantId: 'before' }, key: { environment: 'live' } });
    seen.length = 0;
    const forwarded = await call(keygate.url, 'GET', '/orders', { headers: { authorization: key } });
    expect(forwarded.status).toBe(200);
    expect(seen[0]).toMatchObject({ 'x-keygate-tenant-id': 'before', 'x-keygate-environment': 'live' });
  });

  it('keeps the environment on the record: a test key reaches the backend as test', async () => {
    const created = await call(keygate.url, 'POST', '/v1/keys', {
      key: oldOwner,
      body: { name: 'sandbox', environment: 'test' },
    });
    expect(created.body.key).toMatch(/^sk_[0-9a-f]{64}$/);
    seen.length = 0;
    expect((await call(keygate.url, 'GET', '/orders', { key: created.body.key })).status).toBe(200);
    expect(seen[0]).toMatchObject({ 'x-keygate-environment': 'test' });
  });

  it('still accepts a key of the default format listed in acceptedKeyFormats; rotation mints the new format', async () => {
    expect(oldOwner).toMatch(/^sk_live_[0-9a-f]{72}$/);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: oldOwner })).status).toBe(200);
    const id = (await call(keygate.url, 'GET', '/v1/me', { key: oldOwner })).body.key.id as string;
    const rotated = await call(keygate.url, 'POST', `/v1/keys/${id}/rotate`, {
      key: oldOwner,
      body: { gracePeriodHours: 1 },
    });
    expect(rotated.status).toBe(201);
    expect(rotated.body.key).toMatch(/^sk_[0-9a-f]{64}$/);
  });

  it('refuses wrong shapes with 401 before the authorizer, and a well-shaped unknown key after one read', async () => {
    const refusals = () => logger.lines.filter((line) => line.message === 'refused').map((line) => line.fields?.reason);
    const earlier = refusals().length;
    for (const value of [
      `sk_${'a'.repeat(63)}`,
      `sk_${'a'.repeat(65)}`,
      `sk_${'A'.repeat(64)}`,
      `pk_${'a'.repeat(64)}`,
      `sk_live_${'a'.repeat(64)}`,
      `sk_${'a'.repeat(64)}`,
    ]) {
      const answer = await call(keygate.url, 'GET', '/v1/me', { key: value });
      expect(answer.status).toBe(401);
    }
    // only the last reached the authorizer: the identity-validation expression turned the others away.
    expect(refusals().slice(earlier)).toEqual(['unknown']);
  });
});
