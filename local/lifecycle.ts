import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

/**
 * The shell script every DynamoDB Local runs under. It keeps the child's stdin (a pipe whose only
 * writer is the Node process) on fd 3, forks a reader that waits for end-of-file on it, and then
 * `exec`s java in its own place, so the java pid is the one Node knows. When Node ends, however it
 * ends (SIGKILL included), the kernel closes the pipe's write end: the reader sees end-of-file and
 * sends SIGTERM to java. A background job of a non-interactive shell gets /dev/null as stdin, hence
 * the explicit fd 3. The reader is ~1 MB of `sh` + `cat`; java itself never reads stdin.
 */
const WATCHDOG = [
  'exec 3<&0',
  '(cat <&3 >/dev/null 2>&1; kill -TERM $$ 2>/dev/null) </dev/null >/dev/null 2>&1 &',
  'exec "$@" 3<&- </dev/null',
].join('\n');

/**
 * Spawns `command` under a watchdog so that it dies with this process whatever signal ends it.
 * Same signature as `child_process.spawn`; stdin is the watchdog's pipe (close it to stop the
 * child), stdout and stderr are pipes unless `options.stdio` says otherwise for them.
 */
export function spawnWithWatchdog(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const stdio = Array.isArray(options.stdio) ? options.stdio : [];
  return spawn('/bin/sh', ['-c', WATCHDOG, 'keygate-watchdog', command, ...args], {
    ...options,
    // spelled out: node's spawn would read the real process's environment, not the `process.env`
    // a caller (a test runner's sandbox) sees.
    env: options.env ?? process.env,
    stdio: ['pipe', stdio[1] ?? 'pipe', stdio[2] ?? 'pipe'],
  });
}

/** Thrown when a data folder is already served by a live process; the message names it and its pid. */
export class DataDirInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
  ) {
    super(
      `the data folder ${dataDir} (KEYGATE_DATA_DIR) is in use by another keygate, pid ${pid}: ` +
        'stop that one first or choose another folder. Two DynamoDB Local processes on one folder corrupt it.',
    );
    this.name = 'DataDirInUseError';
  }
}

/** A held lock on a data folder. */
export interface DirLock {
  /** The lock file: `<dataDir>/keygate.lock`, holding the owner's pid. */
  readonly path: string;
  /** Removes the lock file; safe to call twice. */
  release(): void;
}

/**
 * Creates the data folder if it is missing and takes its lock: a file holding this process's pid,
 * created exclusively. A lock left by a process that no longer runs (SIGKILL gives no chance to
 * clean up) is taken over.
 *
 * @throws DataDirInUseError when a live process holds it.
 * @throws Error naming the folder when it cannot be created or written.
 */
export function lockDataDir(dataDir: string): DirLock {
  const dir = resolve(dataDir);
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(`cannot create the data folder ${dir} (KEYGATE_DATA_DIR): ${(error as Error).message}`, {
      cause: error,
    });
  }
  const path = join(dir, 'keygate.lock');
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      let held = true;
      return {
        path,
        release: () => {
          if (!held) return;
          held = false;
          try {
            unlinkSync(path);
          } catch {
            // already gone: nothing to release.
          }
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        throw new Error(`cannot lock the data folder ${dir} (KEYGATE_DATA_DIR): ${(error as Error).message}`, {
          cause: error,
        });
      }
      const owner = Number.parseInt(readFileSync(path, 'utf8'), 10);
      if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) throw new DataDirInUseError(dir, owner);
      unlinkSync(path);
    }
  }
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Calls `onOrphaned` once when this process's parent changes, i.e. the parent died and the process
 * was re-parented. `npm start` runs npm → tsx → node: if tsx is killed with SIGKILL, node would
 * otherwise serve on, unseen. Polls (unref'd, so it never keeps the process alive).
 *
 * @returns a function that stops watching.
 */
export function watchParent(onOrphaned: () => void, intervalMs = 500): () => void {
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid !== parent) {
      clearInterval(timer);
      onOrphaned();
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * Reads a TCP port from the environment: a whole number 0–65535 (0 picks a free one).
 *
 * @throws Error naming the variable, the value received and what is expected.
 */
export function portFromEnv(name: string, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(value) || value > 65535) {
    throw new Error(
      `${name} must be a TCP port, a whole number from 0 to 65535 (0 picks a free one), received ${JSON.stringify(text)}`,
    );
  }
  return value;
}

/** Thrown when a TCP port this process means to listen on is taken; the message names it and what to do. */
export class PortInUseError extends Error {
  constructor(
    /** The port asked for. */
    readonly port: number,
    /** What to do instead, e.g. "set PORT to another port (0 picks a free one)". */
    readonly remedy: string,
  ) {
    super(`port ${port} is in use by another program: ${remedy}`);
    this.name = 'PortInUseError';
  }
}

/**
 * Checks that a TCP port can be listened on by binding it and letting go at once, so that a taken
 * port is reported before anything slow (a java start) begins. Port 0 always passes.
 *
 * @throws PortInUseError naming the port and `remedy` when another program holds it.
 */
export async function assertPortFree(port: number, remedy: string, host = '127.0.0.1'): Promise<void> {
  if (port === 0) return;
  await new Promise<void>((resolveFree, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port, remedy) : error),
    );
    server.listen(port, host, () => server.close(() => resolveFree()));
  });
}

/** Keeps the last `limit` characters written to it; for a child's output when it fails. */
export class OutputTail {
  private text = '';
  constructor(private readonly limit = 4000) {}

  /** Appends a chunk, dropping the oldest characters beyond the limit. */
  push(chunk: Buffer | string): void {
    this.text = (this.text + chunk.toString()).slice(-this.limit);
  }

  /** What was kept, trimmed. */
  toString(): string {
    return this.text.trim();
  }
}
