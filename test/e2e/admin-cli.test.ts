import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { leakScan } from '../support/leak-scan';
import { testEndpoint } from '../support/dynamodb';
import { DEADLINES } from '../support/deadlines';
import { TSX } from '../support/processes';
import { call, startTestKeygate } from '../support/local';
import { day, fixedClock, instant } from '../support/time';

const ROOT = join(__dirname, '..', '..');
const KEY_LINE = /^operator key: (sk_live_[0-9a-f]{72})\n$/;

/** What a run of the admin CLI printed, and how it ended. */
interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `keygate-admin` as an operator would, with AWS credentials, against the run's DynamoDB
 * Local (`AWS_ENDPOINT_URL_DYNAMODB`, the SDK's own setting). Its stderr is scanned for secrets
 * after the file, and every key it prints becomes a known secret.
 */
function admin(args: readonly string[]): Promise<Run> {
  const { AWS_PROFILE: _profile, ...inherited } = process.env;
  const env = {
    ...inherited,
    AWS_ENDPOINT_URL_DYNAMODB: testEndpoint(),
    AWS_REGION: LOCAL_AWS.region,
    AWS_ACCESS_KEY_ID: LOCAL_AWS.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: LOCAL_AWS.credentials.secretAccessKey,
  };
  return new Promise((resolve) => {
    execFile(
      TSX,
      ['bin/keygate-admin.ts', ...args],
      { cwd: ROOT, env, timeout: DEADLINES.processOutput },
      (error, stdout, stderr) => {
        for (const match of stdout.matchAll(/sk_live_[0-9a-f]{72}/g)) leakScan.secret(match[0]);
        leakScan.log('keygate-admin stderr', stderr);
        resolve({ code: error === null ? 0 : Number(error.code ?? 1), stdout, stderr });
      },
    );
  });
}

describe('keygate-admin recover-operator', () => {
  jest.setTimeout(DEADLINES.slowTest);

  it('gives the panel back to an operator locked out by a revoked key and an expired one, and refuses while a key works', async () => {
    const tableName = `keygate-e2e-${randomUUID().slice(0, 8)}`;
    const clock = fixedClock(instant(0, '10:00'));
    const keygate = await startTestKeygate({ tableName, clock });
    try {
      const op = keygate.operatorKey as string;
      const opId = (await call(keygate.url, 'GET', '/v1/me', { key: op })).body.key.id as string;
      const short = await call(keygate.url, 'POST', '/v1/keys', {
        key: op,
        body: { name: 'until midnight', role: 'operator', expiresOn: day(1) },
      });
      expect(short.status).toBe(201);
      // the never-expiring key cannot go while the only other one expires at midnight.
      const refused = await call(keygate.url, 'DELETE', `/v1/keys/${opId}`, { key: short.body.key });
      expect([refused.status, refused.body.error.code]).toEqual([409, 'conflict']);
      // it is revoked anyway (a leak report revokes even the last one), and the other expires.
      await keygate.store.setKeyStatus('operator', opId, 'revoked');
      clock.set(instant(1));
      for (const key of [op, short.body.key as string])
        expect((await call(keygate.url, 'GET', '/v1/panel/tenants', { key })).status).toBe(401);

      const recovered = await admin(['recover-operator', '--table', tableName, '--key-prefix', 'sk']);

      expect(recovered).toMatchObject({ code: 0, stdout: expect.stringMatching(KEY_LINE) });
      const key = (KEY_LINE.exec(recovered.stdout) as RegExpExecArray)[1];
      expect(recovered.stderr).toMatch(/^minted operator key key_[0-9a-f]{24} /);
      expect((await call(keygate.url, 'GET', '/v1/panel/tenants', { key })).status).toBe(200);
      const events = await call(keygate.url, 'GET', '/v1/events?type=key.created', { key });
      expect(events.body.items[0]).toMatchObject({
        type: 'key.created',
        actor: { system: 'admin-cli' },
        details: { role: 'operator', recovery: 'recover-operator' },
      });

      const again = await admin(['recover-operator', '--table', tableName, '--key-prefix', 'sk']);

      expect(again.code).toBe(1);
      expect(again.stdout).toBe('');
      expect(again.stderr).toMatch(/usable operator key \(key_[0-9a-f]{24}\): use it, or pass --force/);

      const forced = await admin(['recover-operator', '--force', '--table', tableName, '--key-prefix', 'sk']);

      expect(forced).toMatchObject({ code: 0, stdout: expect.stringMatching(KEY_LINE) });
      expect(forced.stderr).toMatch(/still work: revoke the one that is lost or leaked/);
    } finally {
      await keygate.stop();
    }
  });

  it('refuses a flag it does not know, and a table without its key prefix, printing no key', async () => {
    const typo = await admin(['recover-operator', '--forse']);
    const half = await admin(['recover-operator', '--table', 'keygate-keys']);

    expect(typo).toMatchObject({ code: 1, stdout: '' });
    expect(typo.stderr).toMatch(
      /recover-operator takes --stack, --region, --table, --key-prefix, --force; received --forse/,
    );
    expect(half).toMatchObject({ code: 1, stdout: '' });
    expect(half.stderr).toMatch(/--table and --key-prefix go together/);
  });
});
