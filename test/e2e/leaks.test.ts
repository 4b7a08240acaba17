import { generateKeyPairSync, sign } from 'node:crypto';
import type { LocalKeygate } from '../../local/app';
import { call, startTestKeygate } from '../support/local';

// a key pair of our own, published the way GitHub's meta endpoint publishes its keys.
const github = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const KEY_ID = 'bcb53661c06b4728e59d897fb6165d5c9cda0fd9cdf9d09ead458168deb7518c';
const PUBLIC_KEYS = JSON.stringify({
  public_keys: [
    { key_identifier: KEY_ID, key: github.publicKey.export({ type: 'spki', format: 'pem' }), is_current: true },
  ],
});

/** The signature GitHub sends: ECDSA P-256 over SHA-256 of the raw body, DER, base64. */
const signWith = (privateKey: typeof github.privateKey, body: string): string =>
  sign('sha256', Buffer.from(body), privateKey).toString('base64');

let keygate: LocalKeygate;
let operator: string;
let owner: { id: string; key: string };

/** Posts an alert body to the GitHub endpoint with the given headers, raw. */
const alert = (body: string, headers: Record<string, string>) =>
  call(keygate.url, 'POST', '/v1/leaks/github', {
    rawBody: body,
    headers: { 'content-type': 'application/json', ...headers },
  });
const signed = (body: string) =>
  alert(body, {
    'Github-Public-Key-Identifier': KEY_ID,
    'Github-Public-Key-Signature': signWith(github.privateKey, body),
  });
const leakEvents = async () =>
  (await call(keygate.url, 'GET', '/v1/events?type=key.leaked', { key: owner.key })).body.items;
const newKey = async (name: string) =>
  (await call(keygate.url, 'POST', '/v1/keys', { key: owner.key, body: { name } })).body as { id: string; key: string };
const works = async (key: string) => (await call(keygate.url, 'GET', '/v1/me', { key })).status === 200;

beforeAll(async () => {
  keygate = await startTestKeygate({ githubPublicKeys: PUBLIC_KEYS });
  operator = keygate.operatorKey as string;
  owner = (
    await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId: 'leaky', name: 'Leaky', plan: 'scale' },
    })
  ).body.key;
});
afterAll(async () => {
  await keygate.stop();
});

describe('POST /v1/leaks/github', () => {
  it('answers a signed batch in GitHub feedback format: revokes the live key, labels the revoked one true, the rest false', async () => {
    const live = await newKey('live one');
    const revoked = await newKey('revoked one');
    await call(keygate.url, 'POST', `/v1/keys/${revoked.id}/revoke`, { key: owner.key });
    // right shape, wrong checksum: the last hex digit changed.
    const wrongChecksum = live.key.slice(0, -1) + (live.key.endsWith('0') ? '1' : '0');
    const foreign = `ghp_${'a'.repeat(36)}`;
    const batch = [
      {
        token: live.key,
        type: 'keygate_api_key',
        url: 'https://github.com/acme/app/blob/main/.env',
        source: 'content',
      },
      { token: revoked.key, type: 'keygate_api_key', url: 'https://github.com/acme/app/commit/abc', source: 'commit' },
      {
        token: wrongChecksum,
        type: 'keygate_api_key',
        url: 'https://github.com/acme/app/blob/main/x',
        source: 'content',
      },
      { token: foreign, type: 'github_token', url: 'https://github.com/acme/app/blob/main/y', source: 'content' },
    ];
    const body = JSON.stringify(batch);

    const answer = await signed(body);

    expect(answer.status).toBe(200);
    expect(answer.body).toEqual([
      { token_raw: live.key, token_type: 'keygate_api_key', label: 'true_positive' },
      { token_raw: revoked.key, token_type: 'keygate_api_key', label: 'true_positive' },
      { token_raw: wrongChecksum, token_type: 'keygate_api_key', label: 'false_positive' },
      { token_raw: foreign, token_type: 'github_token', label: 'false_positive' },
    ]);
    expect(await works(live.key)).toBe(false);
    const events = await leakEvents();
    expect(events).toHaveLength(2);
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          keyId: live.id,
          actor: { system: 'github' },
          details: { url: batch[0].url, source: 'content', action: 'revoked', policy: 'revoke' },
        }),
        expect.objectContaining({ keyId: revoked.id, actor: { system: 'github' } }),
      ]),
    );
    expect(JSON.stringify(events)).not.toContain(live.key.slice(8, 72));

    // the same report again (GitHub retries): the same answer, and no second event.
    const again = await signed(body);
    expect(again.body).toEqual(answer.body);
    expect(await leakEvents()).toHaveLength(2);
  });

  describe('refuses with 401 and does nothing else', () => {
    let victim: { id: string; key: string };
    let body: string;
    beforeAll(async () => {
      victim = await newKey('victim');
      body = JSON.stringify([
        { token: victim.key, type: 'keygate_api_key', url: 'https://example.com', source: 'content' },
      ]);
    });
    afterEach(async () => {
      expect(await works(victim.key)).toBe(true);
      expect((await leakEvents()).filter((event: { keyId: string }) => event.keyId === victim.id)).toEqual([]);
    });

    it('a tampered body', async () => {
      const signature = signWith(github.privateKey, body);
      const answer = await alert(body.replace('example.com', 'example.org'), {
        'Github-Public-Key-Identifier': KEY_ID,
        'Github-Public-Key-Signature': signature,
      });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('unauthorized');
    });

    it('an unknown key identifier', async () => {
      const answer = await alert(body, {
        'Github-Public-Key-Identifier': 'f'.repeat(64),
        'Github-Public-Key-Signature': signWith(github.privateKey, body),
      });
      expect(answer.status).toBe(401);
    });

    it('a signature by another key under the right identifier', async () => {
      const answer = await alert(body, {
        'Github-Public-Key-Identifier': KEY_ID,
        'Github-Public-Key-Signature': signWith(stranger.privateKey, body),
      });
      expect(answer.status).toBe(401);
    });

    it.each([
      ['no signature headers', {}],
      ['only the identifier', { 'Github-Public-Key-Identifier': KEY_ID }],
      ['only a signature', { 'Github-Public-Key-Signature': 'MEUCIQ==' }],
      [
        'a signature that is not base64',
        { 'Github-Public-Key-Identifier': KEY_ID, 'Github-Public-Key-Signature': 'not base64!' },
      ],
    ])('%s', async (_label, headers) => {
      expect((await alert(body, headers as Record<string, string>)).status).toBe(401);
    });

    it('an API key instead of a signature', async () => {
      const answer = await call(keygate.url, 'POST', '/v1/leaks/github', { key: operator, rawBody: body });
      expect(answer.status).toBe(401);
    });
  });

  it('answers 400 to a signed body that is not an alert array', async () => {
    expect((await signed('{"token": "x"}')).status).toBe(400);
  });
});

describe('POST /v1/panel/leaks', () => {
  it('revokes a key an operator reports, once, with key.leaked by the operator', async () => {
    const leaked = await newKey('pasted in slack');
    const first = await call(keygate.url, 'POST', '/v1/panel/leaks', {
      key: operator,
      body: { key: leaked.key, url: 'https://slack.example/p/1' },
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ label: 'true_positive', keyId: leaked.id, tenantId: 'leaky', action: 'revoked' });
    expect(await works(leaked.key)).toBe(false);
    const again = await call(keygate.url, 'POST', '/v1/panel/leaks', { key: operator, body: { key: leaked.key } });
    expect(again.body.action).toBe('already_reported');
    const events = (await leakEvents()).filter((event: { keyId: string }) => event.keyId === leaked.id);
    expect(events).toEqual([
      expect.objectContaining({
        actor: { keyId: expect.stringMatching(/^key_/), role: 'operator' },
        details: expect.objectContaining({ source: 'operator', action: 'revoked' }),
      }),
    ]);
  });

  it('labels a token that is not a keygate key false_positive', async () => {
    const answer = await call(keygate.url, 'POST', '/v1/panel/leaks', { key: operator, body: { key: 'sk_live_nope' } });
    expect(answer.body).toEqual({ label: 'false_positive' });
  });

  it('is refused to tenant keys', async () => {
    const victim = await newKey('still fine');
    const answer = await call(keygate.url, 'POST', '/v1/panel/leaks', { key: owner.key, body: { key: victim.key } });
    expect(answer.status).toBe(403);
    expect(await works(victim.key)).toBe(true);
  });
});
