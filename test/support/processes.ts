import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { DEADLINES, POLL_MS } from './deadlines';

/** The repository's `tsx`, to run TypeScript entries as `npm start` does. */
export const TSX = join(__dirname, '..', '..', 'node_modules', '.bin', 'tsx');

/** One row of `ps`. */
export interface ProcessRow {
  readonly pid: number;
  readonly ppid: number;
  readonly stat: string;
  readonly args: string;
}

/** Every process on the machine, as `ps` sees it. */
export function ps(): ProcessRow[] {
  const out = spawnSync('ps', ['-eo', 'pid=,ppid=,stat=,args='], { encoding: 'utf8' }).stdout;
  return out
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), stat: m[3], args: m[4] }));
}

/** Whether `ps` lists the pid as a running process (a zombie has ended: it only awaits its reaper). */
export function running(pid: number): boolean {
  return ps().some((row) => row.pid === pid && !row.stat.startsWith('Z'));
}

/** The pid and every descendant of it, as `ps` sees them now. */
export function tree(root: number): ProcessRow[] {
  const rows = ps();
  const found = rows.filter((row) => row.pid === root);
  for (let i = 0; i < found.length; i++) found.push(...rows.filter((row) => row.ppid === found[i].pid));
  return found;
}

/**
 * Polls `ps` until none of the pids runs (nothing signals the end of a process that is not our
 * child); answers those still running at the deadline.
 */
export async function waitGone(pids: readonly number[], timeoutMs: number = DEADLINES.processExit): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const left = pids.filter(running);
    if (left.length === 0 || Date.now() > deadline) return left;
    await new Promise((wait) => setTimeout(wait, POLL_MS));
  }
}

/** A child whose output is kept, with a way to wait for a line matching a pattern. */
export interface Watched {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exited: Promise<number | null>;
}

/** Spawns a process and keeps its stdout and stderr together. */
export function watch(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean } = {},
): Watched {
  const child = spawn(command, args, {
    env: options.env ?? process.env,
    cwd: options.cwd,
    detached: options.detached,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  let closed = false;
  const exited = new Promise<number | null>((done) =>
    child.once('close', (code) => {
      closed = true;
      done(code);
    }),
  );
  return {
    child,
    output: () => text,
    exited,
    waitFor: (pattern, timeoutMs = DEADLINES.processOutput) =>
      new Promise<RegExpExecArray>((resolve, reject) => {
        let settled = false;
        const finish = (settle: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          child.stdout.off('data', check);
          child.stderr.off('data', check);
          child.off('close', ended);
          settle();
        };
        // the output listeners above run first, so `text` holds each chunk when it is checked.
        const check = (): void => {
          const match = pattern.exec(text);
          if (match !== null) finish(() => resolve(match));
        };
        const fail = (why: string): void =>
          finish(() =>
            reject(new Error(`no ${pattern} in the output of ${command} ${args.join(' ')} (${why}):\n${text}`)),
          );
        // 'close' comes after the last chunk of both streams.
        const ended = (): void => (check(), fail('it ended'));
        const timer = setTimeout(() => fail(`not within ${timeoutMs} ms`), timeoutMs);
        child.stdout.on('data', check);
        child.stderr.on('data', check);
        child.once('close', ended);
        check();
        if (closed) ended();
      }),
  };
}
