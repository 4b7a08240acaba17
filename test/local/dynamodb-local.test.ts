import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import {
  DEFAULT_START_TIMEOUT_MS,
  JavaMissingError,
  START_TIMEOUT_VARIABLE,
  startDynamoDbLocal,
  startTimeoutFromEnv,
} from '../../local/dynamodb-local';
import { PortInUseError } from '../../local/lifecycle';

/**
 * A stand-in for `java` on PATH: `-version` succeeds; any other call notes that it ran and then
 * behaves as FAKE_JAVA says: `exit` prints a line and exits 3, `silent` runs and prints nothing,
 * `slow` prints DynamoDB Local's banner and answers `ListTables` on its `-port` after 3 s.
 */
const FAKE_JAVA = `#!/usr/bin/env node
const args = process.argv.slice(2);
if (args[0] === '-version') process.exit(0);
require('node:fs').writeFileSync(process.env.FAKE_JAVA_RAN, 'ran');
const mode = process.env.FAKE_JAVA;
if (mode === 'exit') { console.error('Exception: something java says'); process.exit(3); }
setInterval(() => {}, 1000);
if (mode === 'slow') {
  console.log('Initializing DynamoDB Local with the following configuration:');
  const port = Number(args[args.indexOf('-port') + 1]);
  setTimeout(() => require('node:http').createServer((req, res) => {
    res.setHeader('content-type', 'application/x-amz-json-1.0');
    res.end('{"TableNames":[]}');
  }).listen(port, '127.0.0.1'), 3000);
}
`;

describe('startDynamoDbLocal', () => {
  const saved = { PATH: process.env.PATH, FAKE_JAVA: process.env.FAKE_JAVA, FAKE_JAVA_RAN: process.env.FAKE_JAVA_RAN };
  let bin: string;
  let ran: string;
  const useFakeJava = (mode: 'exit' | 'silent' | 'slow'): void => {
    process.env.PATH = `${bin}${delimiter}${saved.PATH ?? ''}`;
    process.env.FAKE_JAVA = mode;
    process.env.FAKE_JAVA_RAN = ran;
  };

  beforeEach(() => {
    bin = mkdtempSync(join(tmpdir(), 'fake-java-'));
    ran = join(bin, 'ran');
    writeFileSync(join(bin, 'java'), FAKE_JAVA);
    chmodSync(join(bin, 'java'), 0o755);
  });

  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(bin, { recursive: true, force: true });
  });

  it('refuses to start without java, with one line that says how to fix it', async () => {
    process.env.PATH = mkdtempSync(join(tmpdir(), 'no-java-'));
    const error = await startDynamoDbLocal().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(JavaMissingError);
    expect((error as Error).message).not.toContain('\n');
    expect((error as Error).message).toMatch(/openjdk-17-jre-headless/);
    expect((error as Error).message).toMatch(/KEYGATE_DYNAMODB_ENDPOINT/);
  });

  it('refuses a port in use at once, naming it and what to do, without starting java', async () => {
    useFakeJava('silent');
    const blocker: Server = createServer();
    await new Promise<void>((done) => blocker.listen(0, '127.0.0.1', () => done()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const error = await startDynamoDbLocal({ port }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toBe(
        `port ${port} is in use by another program: stop that program, or leave the port unset so that a free one is chosen`,
      );
      expect(existsSync(ran)).toBe(false);
    } finally {
      blocker.close();
    }
  });

  it("reports java's own words when it exits while starting", async () => {
    useFakeJava('exit');
    const error = (await startDynamoDbLocal({ startTimeoutMs: 60_000 }).catch((e: unknown) => e)) as Error;
    expect(error.message).toBe('DynamoDB Local exited while starting; it printed:\nException: something java says');
    expect(existsSync(ran)).toBe(true);
  });

  it('waits for a start slower than a few seconds while java runs', async () => {
    useFakeJava('slow');
    const dynamodb = await startDynamoDbLocal({ startTimeoutMs: 60_000 });
    try {
      const answer = await fetch(dynamodb.endpoint, { method: 'POST', body: '{}' });
      expect(await answer.json()).toEqual({ TableNames: [] });
    } finally {
      await dynamodb.stop();
    }
  });

  it('gives up at the start limit, naming the setting that moves it, and ends java', async () => {
    useFakeJava('silent');
    const error = (await startDynamoDbLocal({ startTimeoutMs: 1_500 }).catch((e: unknown) => e)) as Error;
    expect(error.message).toMatch(
      /^DynamoDB Local did not start within 1500 ms \(\d+ ms waited; java printed nothing yet\): /,
    );
    expect(error.message).toContain(`set ${START_TIMEOUT_VARIABLE} to wait longer on a slow machine`);
    expect(error.message).toMatch(/it printed:\n\(nothing\)$/);
  });
});

describe('startTimeoutFromEnv', () => {
  it('defaults to a generous limit when unset or empty', () => {
    expect(startTimeoutFromEnv({})).toBe(DEFAULT_START_TIMEOUT_MS);
    expect(startTimeoutFromEnv({ [START_TIMEOUT_VARIABLE]: '' })).toBe(DEFAULT_START_TIMEOUT_MS);
    expect(DEFAULT_START_TIMEOUT_MS).toBeGreaterThanOrEqual(120_000);
  });

  it('reads whole milliseconds', () => {
    expect(startTimeoutFromEnv({ [START_TIMEOUT_VARIABLE]: '300000' })).toBe(300_000);
  });

  it.each(['500', '3600001', '90s', '1e5', '-1'])('refuses %j, saying what is expected', (value) => {
    expect(() => startTimeoutFromEnv({ [START_TIMEOUT_VARIABLE]: value })).toThrow(
      `${START_TIMEOUT_VARIABLE} must be a whole number of milliseconds from 1000 to 3600000 (default 180000), received ${JSON.stringify(value)}`,
    );
  });
});
