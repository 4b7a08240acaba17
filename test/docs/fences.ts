import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** The repository's root. */
export const ROOT = join(__dirname, '..', '..');

/** One fenced code block of a Markdown file, with the directives written just before it. */
export interface Fence {
  /** `docs/events.md:42`, the line of the opening fence. */
  readonly where: string;
  /** The info string's first word (`sh`, `ts`, …), or `''`. */
  readonly lang: string;
  readonly body: string;
  /** `<!-- not run: <reason> -->`: why the docs test leaves the block to the reader. */
  readonly notRun?: string;
  /** `<!-- expect: <regex> -->`: what the block's output must match, one pattern per comment. */
  readonly expect: readonly RegExp[];
}

/** The languages whose blocks are commands: the docs test runs each or needs a `not run` reason. */
export const COMMAND_LANGS: readonly string[] = ['sh', 'bash'];

/** The Markdown files whose commands are checked: the front page, the root guides, `docs/` and its folders. */
export function docFiles(): string[] {
  const root = ['README.md', 'SECURITY.md', 'CONTRIBUTING.md'].map((name) => join(ROOT, name));
  const docs = readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join(ROOT, 'docs', name));
  return [...root, ...docs];
}

/**
 * The fenced blocks of a Markdown text, in order. Directives are HTML comments on the lines just
 * above a fence (blank lines between are allowed), so they do not show on a rendered page.
 */
export function fences(file: string, text = readFileSync(file, 'utf8')): Fence[] {
  const lines = text.split('\n');
  const found: Fence[] = [];
  let pending: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const comment = /^<!--\s*(.*?)\s*-->\s*$/.exec(line);
    if (comment !== null) {
      pending.push(comment[1]);
      continue;
    }
    const open = /^(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open === null) {
      if (line.trim() !== '') pending = [];
      continue;
    }
    const close = new RegExp(`^${open[1][0]}{${open[1].length},}\\s*$`);
    const start = i;
    const body: string[] = [];
    for (i += 1; i < lines.length && !close.test(lines[i]); i++) body.push(lines[i]);
    const notRun = pending.map((directive) => /^not run:\s*(.*)$/.exec(directive)).find((match) => match !== null);
    const expect = pending
      .map((directive) => /^expect:\s*(.+)$/.exec(directive))
      .filter((match): match is RegExpExecArray => match !== null)
      .map((match) => new RegExp(match[1]));
    found.push({
      where: `${relative(ROOT, file)}:${start + 1}`,
      lang: open[2],
      body: body.join('\n'),
      notRun: notRun?.[1],
      expect,
    });
    pending = [];
  }
  return found;
}

/** Whether a block that is not marked as commands reads like one (so it must be fenced `sh`). */
export function looksLikeCommands(fence: Fence): boolean {
  if (COMMAND_LANGS.includes(fence.lang)) return true;
  return fence.body.split('\n').some((line) => /^\s*(curl|npm|npx|aws|cdk|jq)\s/.test(line));
}

/**
 * A block that only starts keygate, `[NAME=value …] npm start`: the docs test starts it on a free
 * port and gives the blocks after it `B` (its URL) and `OP` (the operator key it printed).
 */
export function serverStart(fence: Fence): Record<string, string> | undefined {
  const lines = fence.body.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  if (lines.length !== 1) return undefined;
  // a value is a word, or single-quoted as a shell reads it (JSON settings): no escapes inside.
  const assignment = /([A-Z_][A-Z0-9_]*)=('[^']*'|[^\s']+)\s+/y;
  const line = lines[0].trim();
  const env: Record<string, string> = {};
  let match: RegExpExecArray | null;
  let end = 0;
  while ((match = assignment.exec(line)) !== null) {
    const [, name, value] = match;
    env[name] = value.startsWith("'") ? value.slice(1, -1) : value;
    end = assignment.lastIndex;
  }
  return /^npm start(\s+#.*)?$/.test(line.slice(end)) ? env : undefined;
}
