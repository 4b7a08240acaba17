import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

let keygate: LocalKeygate;
let operator: string;
let owner: string;
let target: string;

beforeAll(async () => {
  keygate = await startTestKeygate();
  operator = keygate.operatorKey as string;
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: operator,
    body: { tenantId: 'names-co', name: 'Names Co', plan: 'scale' },
  });
  owner = created.body.key.key;
  target = (await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name: 'target' } })).body.id;
});
afterAll(async () => {
  await keygate.stop();
});

const BIDI_CONTROLS = [
  '\u202A',
  '\u202B',
  '\u202C',
  '\u202D',
  '\u202E',
  '\u2066',
  '\u2067',
  '\u2068',
  '\u2069',
  '\u200E',
  '\u200F',
  '\u061C',
];

/** Names every route that takes one must refuse with 400 `name: ...`. */
const REFUSED: [string, string][] = [
  ...BIDI_CONTROLS.map((char): [string, string] => [
    `U+${char.codePointAt(0)?.toString(16).toUpperCase().padStart(4, '0')} inside`,
    `invoice${char}gpj.exe`,
  ]),
  ['a right-to-left override at the end', 'billing\u202E'],
  ['only a zero-width space', '\u200B'],
  ['only zero-width characters', '\u200B\u200C\u200D'],
  ['only a word joiner', '\u2060'],
  ['only a byte-order mark', '\uFEFF'],
  ['only a soft hyphen', '\u00AD'],
  ['zero-width characters between spaces', ' \u200B \u2060 '],
  ['only a Hangul filler', '\u3164'],
  ['a lone high surrogate', '\uD800'],
  ['a lone low surrogate inside', 'a\uDC00b'],
  ['a cut-off emoji', 'deploy \uD83D'],
];

/** Names that must keep working, byte for byte. */
const ACCEPTED: [string, string][] = [
  ['accents', "Zoë's café"],
  ['CJK', '日本語のキー'],
  ['Cyrillic', 'ключ продакшн'],
  ['Arabic letters', 'مفتاح الإنتاج'],
  ['an emoji', '🔑 deploy'],
  ['an emoji ZWJ sequence', '👩‍💻 team'],
  ['an emoji with a variation selector', '❤️ prod'],
  ['a zero-width joiner between letters', 'a\u200Db'],
  ['spaces inside', 'my  ci   key'],
  ['100 characters', 'x'.repeat(100)],
];

describe('names refused on every route that takes one', () => {
  it.each(REFUSED)('POST /v1/keys refuses %s with 400 naming the field, and creates nothing', async (_label, name) => {
    const before = (await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner })).body.items.length;
    const res = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^name: /) } });
    expect((await call(keygate.url, 'GET', '/v1/keys?limit=100', { key: owner })).body.items.length).toBe(before);
  });

  it.each(REFUSED)('PATCH /v1/keys/{id} refuses %s with 400 and leaves the name', async (_label, name) => {
    const res = await call(keygate.url, 'PATCH', `/v1/keys/${target}`, { key: owner, body: { name } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^name: /) } });
    expect((await call(keygate.url, 'GET', `/v1/keys/${target}`, { key: owner })).body.name).toBe('target');
  });

  it.each(REFUSED)('POST /v1/panel/tenants refuses %s as a tenant name', async (label, name) => {
    const tenantId = `refused-${REFUSED.findIndex(([other]) => other === label)}`;
    const res = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId, name, plan: 'starter' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { code: 'invalid_request', message: expect.stringMatching(/^name: /) } });
    expect((await call(keygate.url, 'GET', `/v1/panel/tenants/${tenantId}`, { key: operator })).status).toBe(404);
  });
});

describe('names accepted', () => {
  it.each(ACCEPTED)('takes %s as a key name and a tenant name, unchanged', async (label, name) => {
    const created = await call(keygate.url, 'POST', '/v1/keys', { key: owner, body: { name } });
    expect(created.status).toBe(201);
    expect(created.body.name).toBe(name);
    const renamed = await call(keygate.url, 'PATCH', `/v1/keys/${created.body.id}`, {
      key: owner,
      body: { name: `${name.slice(0, 90)} 2` },
    });
    expect(renamed.status).toBe(200);
    const tenantId = `accepted-${ACCEPTED.findIndex(([other]) => other === label)}`;
    const tenant = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId, name, plan: 'starter' },
    });
    expect(tenant.status).toBe(201);
    expect(tenant.body.tenant.name).toBe(name);
  });
});
