import { mkdtempSync, existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal } from '../../local/dynamodb-local';
import { DataDirInUseError, lockDataDir, PortInUseError, portFromEnv } from '../../local/lifecycle';
import { running, TSX, tree, waitGone, watch, type Watched } from '../support/processes';
import { DEADLINES } from '../support/deadlines';

// real processes, checked with `ps`: what a process manager, `docker stop` or a crash does to `npm start`.
const ROOT = join(__dirname, '..', '..');
const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => {
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...extra,
  };
  delete base.KEYGATE_DYNAMODB_ENDPOINT;
  delete base.KEYGATE_DATA_DIR;
  return { ...base, ...extra };
};
const started: Watched[] = [];
const startMain = (extra: Record<string, string> = {}): Watched => {
  const watched = watch(TSX, ['local/main.ts'], { cwd: ROOT, env: env(extra) });
  started.push(watched);
  return watched;
};
const javaIn = (pids: ReturnType<typeof tree>) => pids.filter((row) => /^java .*DynamoDBLocal\.jar/.test(row.args));
const answers = async (url: string): Promise<boolean> =>
  fetch(`${url}/v1/me`).then(
    () => true,
    () => false,
  );

let processesChecked = 0;
const expectAllGone = async (rows: ReturnType<typeof tree>): Promise<void> => {
  processesChecked += rows.length;
  expect(await waitGone(rows.map((row) => row.pid))).toEqual([]);
};

afterAll(() => {
  // whatever a failed test left: killed by its own pid.
  for (const watched of started)
    if (watched.child.pid !== undefined && running(watched.child.pid)) watched.child.kill('SIGKILL');
  process.stdout.write(`lifecycle: ${processesChecked} processes checked gone with ps\n`);
});

describe('npm start lifecycle', () => {
  jest.setTimeout(DEADLINES.slowTest);

  it('stops npm, tsx, node and java, and frees the port, on a SIGTERM sent to npm alone', async () => {
    const npm = watch('npm', ['start'], { cwd: ROOT, env: env() });
    started.push(npm);
    const [, url] = await npm.waitFor(/listening on (http:\/\/\S+)/);
    const rows = tree(npm.child.pid!);
    expect(javaIn(rows)).toHaveLength(1);
    expect(rows.length).toBeGreaterThanOrEqual(4);

    npm.child.kill('SIGTERM');

    await expectAllGone(rows);
    expect(await answers(url)).toBe(false);
  });

  it('stops node and java when tsx is killed with SIGKILL', async () => {
    const server = startMain();
    const [, url] = await server.waitFor(/listening on (http:\/\/\S+)/);
    const rows = tree(server.child.pid!);
    expect(javaIn(rows)).toHaveLength(1);

    server.child.kill('SIGKILL');

    await expectAllGone(rows);
    expect(await answers(url)).toBe(false);
  });

  it('refuses a second server on one data folder, creates a missing folder, and leaves no java when the server is killed with SIGKILL', async () => {
    const parent = mkdtempSync(join(tmpdir(), 'keygate-lifecycle-'));
    const dataDir = join(parent, 'not', 'yet', 'there');
    try {
      const first = startMain({ KEYGATE_DATA_DIR: dataDir });
      const [, url] = await first.waitFor(/listening on (http:\/\/\S+)/);
      expect(existsSync(dataDir)).toBe(true);
      const rows = tree(first.child.pid!);
      const [java] = javaIn(rows);
      const serverPid = java.ppid;
      expect(readFileSync(join(dataDir, 'keygate.lock'), 'utf8').trim()).toBe(String(serverPid));

      const second = startMain({ KEYGATE_DATA_DIR: dataDir });
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(`is in use by another keygate, pid ${serverPid}`);
      expect(second.output()).toContain(dataDir);
      expect(await answers(url)).toBe(true);

      // SIGKILL runs no handler: the watchdog ends java, and the next start takes over the stale lock.
      process.kill(serverPid, 'SIGKILL');
      await expectAllGone(rows.filter((row) => row.pid === java.pid || row.pid === serverPid));
      first.child.kill('SIGKILL');

      const third = startMain({ KEYGATE_DATA_DIR: dataDir });
      // the line after "listening on": waited for, since the two may arrive in separate reads.
      await third.waitFor(/listening on /);
      await third.waitFor(/the operator key was printed when this data folder was first used/);
      const thirdRows = tree(third.child.pid!);
      third.child.kill('SIGTERM');
      await expectAllGone(thirdRows);
    } finally {
      rmSync(parent, { recursive: true, force: true });
    }
  });

  it('refuses a PORT in use at once, naming it and what to do, before starting java', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
    const port = (blocker.address() as { port: number }).port;
    try {
      // node alone on PATH: had the start reached java, the message would be about java instead.
      const bin = mkdtempSync(join(tmpdir(), 'node-only-'));
      symlinkSync(process.execPath, join(bin, 'node'));
      const server = startMain({ PORT: String(port), PATH: bin });
      expect(await server.exited).toBe(1);
      rmSync(bin, { recursive: true, force: true });
      expect(server.output()).toContain(
        `keygate could not start: port ${port} is in use by another program: stop it, or set PORT to another port (0 picks a free one)`,
      );
    } finally {
      blocker.close();
    }
  });

  it('refuses PORT=70000 with a message that says what a port is, before starting java', async () => {
    const server = startMain({ PORT: '70000' });
    expect(await server.exited).toBe(1);
    expect(server.output()).toContain(
      'PORT must be a TCP port, a whole number from 0 to 65535 (0 picks a free one), received "70000"',
    );
    expect(server.output()).not.toContain('listening');
  });
});

describe('startDynamoDbLocal failures', () => {
  it('refuses a port in use before starting java, naming the port', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = (await startDynamoDbLocal({ port }).catch((e: unknown) => e)) as Error;
      expect(error).toBeInstanceOf(PortInUseError);
      expect(error.message).toMatch(new RegExp(`^port ${port} is in use by another program: `));
    } finally {
      blocker.close();
    }
  });

  it('refuses a data folder this very process already serves, and frees it on stop', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keygate-lock-'));
    try {
      const dynamodb = await startDynamoDbLocal({ dataDir });
      const error = await startDynamoDbLocal({ dataDir }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(DataDirInUseError);
      await dynamodb.stop();
      expect(existsSync(join(dataDir, 'keygate.lock'))).toBe(false);
      lockDataDir(dataDir).release();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('portFromEnv', () => {
  it.each(['70000', '-1', '3000.5', 'abc', ' 80x'])('refuses %j', (value) => {
    expect(() => portFromEnv('PORT', 3000, { PORT: value })).toThrow(`received ${JSON.stringify(value)}`);
  });
  it.each([
    ['0', 0],
    ['65535', 65535],
    [undefined, 3000],
  ] as const)('reads %j as %d', (value, port) => {
    expect(portFromEnv('PORT', 3000, { PORT: value })).toBe(port);
  });
});
