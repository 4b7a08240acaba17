import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { watch, type Watched } from '../support/processes';
import { COMMAND_LANGS, docFiles, fences, looksLikeCommands, ROOT, serverStart, type Fence } from './fences';

// the docs' commands, run as a reader runs them: `npm start` in one terminal, the blocks of a page
// in order in another, with `B` and `OP` exported as the page tells the reader to.

/** The port the docs give a backend of the reader's own; each run rewrites it to a free one. */
const DOC_BACKEND_PORT = '4110';
/** Process deadlines: generous, since `npm start` starts Java and the machine may be loaded. */
const START_MS = Number(process.env.KEYGATE_DOCS_START_MS ?? 180_000);
const BLOCK_MS = Number(process.env.KEYGATE_DOCS_BLOCK_MS ?? 120_000);

const freePort = async (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });

/** A running `npm start`, in a process group of its own so that it ends with everything under it. */
interface Server {
  readonly watched: Watched;
  readonly url: string;
  readonly operatorKey: string;
}

const startServer = async (extra: Record<string, string>): Promise<Server> => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, PORT: '0' };
  delete env.KEYGATE_DATA_DIR;
  delete env.KEYGATE_DYNAMODB_ENDPOINT;
  const watched = watch('npm', ['start'], { cwd: ROOT, env, detached: true });
  const [, operatorKey] = await watched.waitFor(/^operator key: (\S+)$/m, START_MS);
  const [, url] = /listening on (http:\/\/\S+)/.exec(watched.output()) ?? [];
  return { watched, url, operatorKey };
};

const stopGroup = async (pid: number | undefined, exited?: Promise<unknown>): Promise<void> => {
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGTERM');
  } catch {
    return; // the group has ended already.
  }
  if (exited !== undefined) await exited;
};

const stopServer = async (server: Server | undefined): Promise<void> => {
  if (server !== undefined && server.watched.child.exitCode === null)
    await stopGroup(server.watched.child.pid, server.watched.exited);
};

/** Runs one block in bash with the page's variables so far, and keeps the variables it sets. */
const runBlock = async (fence: Fence, body: string, state: string, groups: number[]): Promise<string> => {
  const script = [
    'set -a',
    `. ${JSON.stringify(state)}`,
    'set -euo pipefail',
    body,
    'set +u',
    `export -p > ${JSON.stringify(state)}`,
  ].join('\n');
  const child = spawn('bash', ['-c', script], {
    cwd: ROOT,
    env: process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid !== undefined) groups.push(child.pid);
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), BLOCK_MS);
  // a block may leave a job running in the background (a backend of the reader's own) that holds
  // the pipes open: the block is done when bash exits, and its output is in shortly after.
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  await Promise.race([new Promise((done) => child.once('close', done)), new Promise((done) => setTimeout(done, 500))]);
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${fence.where} exited ${code}:\n${body}\n--- stdout\n${out}\n--- stderr\n${err}`);
  return out;
};

const pages = docFiles().map((file) => ({ file, name: relative(ROOT, file), fences: fences(file) }));
const runnable = (fence: Fence): boolean => COMMAND_LANGS.includes(fence.lang) && fence.notRun === undefined;

describe('the docs', () => {
  it('fence every command as sh or bash, and run each or say why not', () => {
    const commands = pages.flatMap((page) => page.fences.filter(looksLikeCommands));
    expect(commands.filter((fence) => !COMMAND_LANGS.includes(fence.lang)).map((fence) => fence.where)).toEqual([]);
    expect(
      commands.filter((fence) => fence.notRun !== undefined && fence.notRun.trim() === '').map((fence) => fence.where),
    ).toEqual([]);
    // the tour at least: a guard against a parser that finds nothing to run.
    expect(pages.find((page) => page.name === 'README.md')?.fences.filter(runnable).length).toBeGreaterThanOrEqual(3);
  });

  it("send every body as JSON, as the API requires (curl -d alone sends a form's type: 415)", () => {
    const sendsBody = /\s(-d|--data(-raw|-binary)?)\s/;
    const namesJson = /-H\s+(['"])content-type: application\/json\1/i;
    const untyped = pages.flatMap((page) =>
      page.fences
        .filter((fence) => COMMAND_LANGS.includes(fence.lang))
        .flatMap((fence) =>
          fence.body
            .replace(/\\\n/g, ' ')
            .split('\n')
            .filter((line) => sendsBody.test(line) && !namesJson.test(line))
            .map((line) => `${fence.where}: ${line.trim()}`),
        ),
    );
    expect(untyped).toEqual([]);
  });

  it("keep the README a front page under 10 kB, whose security section states the front door's rules", () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    expect(Buffer.byteLength(readme, 'utf8')).toBeLessThan(10_000);
    const security = /^## Security\n([\s\S]*?)^## /m.exec(readme)?.[1] ?? '';
    for (const rule of ['**Target:**', '**Paths:**', '**Headers:**', "a deleted tenant's id is retired"])
      expect({ rule, stated: security.includes(rule) }).toEqual({ rule, stated: true });
    for (const side of ['locally', 'On AWS']) expect(security).toContain(side);
    // the detail it links to is there.
    const [, page, anchor] = /\]\((docs\/[\w-]+\.md)#([\w-]+)\)/.exec(security) ?? [];
    const headings = readFileSync(join(ROOT, page), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith('#'))
      .map((line) =>
        line
          .replace(/^#+\s*/, '')
          .toLowerCase()
          .replace(/[^\w\s-]/g, '')
          .replace(/\s+/g, '-'),
      );
    expect(headings).toContain(anchor);
  });

  it('show the client quickstart as examples/client/quickstart.ts holds it', () => {
    const readme = pages.find((page) => page.name === 'README.md')!;
    const snippet = readme.fences.find((fence) => fence.lang === 'ts' && fence.body.includes("from 'keygate/client'"));
    expect(snippet?.body.trim()).toBe(readFileSync(join(ROOT, 'examples', 'client', 'quickstart.ts'), 'utf8').trim());
  });
});

describe('the docs commands, run against npm start', () => {
  let shared: Server | undefined;
  afterAll(async () => {
    await stopServer(shared);
  });

  for (const page of pages.filter((candidate) => candidate.fences.some(runnable))) {
    it(
      `${page.name}: every block runs`,
      async () => {
        const dir = mkdtempSync(join(tmpdir(), 'keygate-docs-'));
        const state = join(dir, 'state.sh');
        writeFileSync(state, '');
        const backendPort = String(await freePort());
        const groups: number[] = [];
        let own: Server | undefined;
        let ran = 0;
        try {
          for (const fence of page.fences.filter(runnable)) {
            const body = fence.body.replace(new RegExp(`\\b${DOC_BACKEND_PORT}\\b`, 'g'), backendPort);
            const start = serverStart({ ...fence, body });
            if (start !== undefined) {
              await stopServer(own);
              own = await startServer(start);
              writeFileSync(state, `export B=${own.url} OP=${own.operatorKey}\n`, { flag: 'a' });
              ran += 1;
              continue;
            }
            if (own === undefined && !readFileSync(state, 'utf8').includes('export B=')) {
              shared ??= await startServer({});
              writeFileSync(state, `export B=${shared.url} OP=${shared.operatorKey}\n`, { flag: 'a' });
            }
            const out = await runBlock(fence, body, state, groups);
            expect({ where: fence.where, internalErrors: out.includes('"internal_error"') }).toEqual({
              where: fence.where,
              internalErrors: false,
            });
            for (const pattern of fence.expect)
              expect({ where: fence.where, out }).toEqual({ where: fence.where, out: expect.stringMatching(pattern) });
            ran += 1;
          }
          expect(ran).toBe(page.fences.filter(runnable).length);
        } finally {
          // background jobs a block started (a backend of the reader's own) end with their group.
          for (const group of groups) await stopGroup(group);
          await stopServer(own);
          rmSync(dir, { recursive: true, force: true });
        }
      },
      START_MS * 2 + BLOCK_MS * 10,
    );
  }
});
