import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { DEADLINES } from '../support/deadlines';
import { leakScan } from '../support/leak-scan';
import { TSX } from '../support/processes';
import { call, startTestKeygate } from '../support/local';
import { fixedClock, instant, type TestClock } from '../support/time';

/**
 * `npm run admin -- sign-in-link` against the local gateway: it prints the console's link with a
 * one-time code in the fragment, and the code is exchanged once, without a key, for an operator
 * session that reaches the panel.
 */
const ROOT = join(__dirname, '..', '..');
const LINK = /^(http:\/\/[^#\s]+\/console)#signin=(kgl_[A-Za-z0-9_-]{43})\n$/;

let keygate: Awaited<ReturnType<typeof startTestKeygate>>;
let clock: TestClock;
let op: string;
let owner: string;
let ownerId: string;

/** Runs the CLI as an operator would; its stderr is scanned for secrets, its link's code becomes one. */
function admin(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { KEYGATE_OPERATOR_KEY: _key, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['bin/keygate-admin.ts', 'sign-in-link', ...args],
      { cwd: ROOT, env: { ...inherited, ...env }, timeout: DEADLINES.processOutput },
      (error, stdout, stderr) => {
        for (const match of stdout.matchAll(/kgl_[A-Za-z0-9_-]{43}/g)) leakScan.sessionToken(match[0]);
        leakScan.log('keygate-admin stderr', stderr);
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
      },
    );
  });
}

const exchange = (code: unknown) => call(keygate.url, 'POST', '/v1/console/sign-in', { body: { code } });

beforeAll(async () => {
  clock = fixedClock(instant(0, '10:00'));
  keygate = await startTestKeygate({ clock });
  op = keygate.operatorKey as string;
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: op,
    body: { tenantId: 'link-acme', name: 'Acme', plan: 'starter' },
  });
  expect(created.status).toBe(201);
  owner = created.body.key.key as string;
  ownerId = created.body.key.id as string;
}, DEADLINES.slowTest);
afterAll(async () => {
  await keygate?.stop();
});

describe('keygate-admin sign-in-link', () => {
  jest.setTimeout(DEADLINES.slowTest);

  it("prints the console's link; its code gives once an operator session that reaches the panel, named as the link's", async () => {
    const run = await admin(['--url', keygate.url, '--user', 'ada'], { KEYGATE_OPERATOR_KEY: op });
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(LINK) });
    const [, page, code] = LINK.exec(run.stdout) as RegExpExecArray;
    expect(page).toBe(`${keygate.url}/console`);
    expect(run.stderr).toBe(
      `one sign-in as ada, until ${instant(0, '10:05')}; anyone with the link can use it until then.\n`,
    );

    const signedIn = await exchange(code);
    expect(signedIn.status).toBe(201);
    expect(signedIn.body).toMatchObject({
      tenantId: 'operator',
      role: 'operator',
      environment: 'live',
      user: { id: 'ada' },
      expiresAt: instant(0, '11:00'),
    });
    const token = signedIn.body.token as string;
    const tenants = await call(keygate.url, 'GET', '/v1/panel/tenants', { key: token });
    expect(tenants.status).toBe(200);

    const again = await exchange(code);
    expect([again.status, again.body.error.code]).toEqual([401, 'unauthorized']);

    // what the session does names it, its member, and the key that minted the link.
    const opId = (await call(keygate.url, 'GET', '/v1/me', { key: op })).body.key.id as string;
    const renamed = await call(keygate.url, 'PATCH', `/v1/panel/tenants/link-acme/keys/${ownerId}`, {
      key: token,
      body: { name: 'renamed through the link' },
    });
    expect(renamed.status).toBe(200);
    const events = await call(keygate.url, 'GET', '/v1/panel/events?tenantId=link-acme', { key: op });
    const rename = (events.body.items as { type: string; actor: unknown }[]).find(
      (event) => event.type === 'key.renamed',
    );
    expect(rename?.actor).toEqual({
      session: signedIn.body.id,
      userId: 'ada',
      role: 'operator',
      onBehalfOf: 'link-acme',
      signInLink: { mintedBy: opId },
    });
    // the request log holds the route, never the code.
    expect(keygate.requests.join('\n')).not.toContain(code);
  });

  it('refuses a code from its fifth minute on', async () => {
    const minted = await call(keygate.url, 'POST', '/v1/panel/sign-in-links', {
      key: op,
      body: { user: { id: 'ada' } },
    });
    expect(minted.status).toBe(201);
    leakScan.sessionToken(minted.body.code);
    clock.advance(5 * 60_000);
    try {
      const late = await exchange(minted.body.code);
      expect([late.status, late.body.error]).toEqual([
        401,
        { code: 'unauthorized', message: 'this sign-in link has expired: print a new one' },
      ]);
    } finally {
      clock.set(instant(0, '10:00'));
    }
  });

  it('refuses a code whose operator key was revoked since it was printed', async () => {
    const laptop = await call(keygate.url, 'POST', '/v1/keys', { key: op, body: { name: 'laptop', role: 'operator' } });
    const run = await admin(['--url', keygate.url], { KEYGATE_OPERATOR_KEY: laptop.body.key });
    const [, , code] = LINK.exec(run.stdout) as RegExpExecArray;
    expect((await call(keygate.url, 'POST', `/v1/keys/${laptop.body.id}/revoke`, { key: op })).status).toBe(200);
    const refused = await exchange(code);
    expect([refused.status, refused.body.error.code]).toEqual([401, 'unauthorized']);
  });

  it('refuses a made-up code and a malformed body, each in the contract shape', async () => {
    const made = await exchange(`kgl_${'A'.repeat(43)}`);
    expect([made.status, made.body.error.code]).toEqual([401, 'unauthorized']);
    const wrong = await call(keygate.url, 'POST', '/v1/console/sign-in', { body: { code: 'x', extra: 1 } });
    expect([wrong.status, wrong.body.error.code]).toEqual([400, 'invalid_request']);
  });

  it("mints no code for a tenant's key or for a session, and the CLI says why", async () => {
    const byTenant = await call(keygate.url, 'POST', '/v1/panel/sign-in-links', {
      key: owner,
      body: { user: { id: 'x' } },
    });
    expect([byTenant.status, byTenant.body.error.code]).toEqual([403, 'forbidden']);
    const session = await call(keygate.url, 'POST', '/v1/panel/tenants/operator/sessions', {
      key: op,
      body: { role: 'operator', user: { id: 'ada' } },
    });
    const bySession = await call(keygate.url, 'POST', '/v1/panel/sign-in-links', {
      key: session.body.token,
      body: { user: { id: 'ada' } },
    });
    expect([bySession.status, bySession.body.error]).toEqual([
      403,
      { code: 'forbidden', message: 'a session cannot mint sign-in links; use an operator key' },
    ]);

    const refused = await admin(['--url', keygate.url], { KEYGATE_OPERATOR_KEY: owner });
    expect(refused).toMatchObject({ code: 1, stdout: '' });
    expect(refused.stderr).toMatch(/^keygate-admin: the API answered 403: /);
    const keyless = await admin(['--url', keygate.url], {});
    expect(keyless).toMatchObject({ code: 1, stdout: '' });
    expect(keyless.stderr).toBe('keygate-admin: sign-in-link needs the operator key in KEYGATE_OPERATOR_KEY\n');
  });
});
