import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const TREES = ['bin', 'bench', 'client', 'elements', 'examples', 'lambdas', 'lib', 'local', 'openapi', 'test'];

/**
 * Words that tell the project's history instead of the code's reasons: tracker numbers, delivery
 * waves, branch names. A comment says why the code is as it is; the history is in git.
 */
const HISTORY =
  /\bissue #?\d+|\bwave \d|\b(?:second|third|fourth) wave\b|\bbranch\b|\bbefore the fix\b|\bthe old code\b/i;

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** Each comment of a TypeScript source with its first line, as the parser attaches them to nodes. */
function comments(text: string): { line: number; text: string }[] {
  const source = ts.createSourceFile('source.ts', text, ts.ScriptTarget.Latest, true);
  const found = new Map<number, { line: number; text: string }>();
  const collect = (ranges: readonly ts.CommentRange[] | undefined): void => {
    for (const { pos, end } of ranges ?? [])
      found.set(pos, { line: source.getLineAndCharacterOfPosition(pos).line + 1, text: text.slice(pos, end) });
  };
  const visit = (node: ts.Node): void => {
    collect(ts.getLeadingCommentRanges(text, node.pos));
    collect(ts.getTrailingCommentRanges(text, node.end));
    // tokens are not children in the AST: their comments are read from the nodes around them.
    node.getChildren(source).forEach(visit);
  };
  visit(source);
  return [...found.values()].sort((a, b) => a.line - b.line);
}

/** `file:line: comment line` for each comment line that tells history. */
function historyIn(file: string, text: string): string[] {
  // parsing is the slow part: most files hold none of the words anywhere.
  if (!HISTORY.test(text)) return [];
  return comments(text).flatMap(({ line, text: comment }) =>
    comment
      .split('\n')
      .map((content, offset) => ({ content: content.trim(), at: line + offset }))
      .filter(({ content }) => HISTORY.test(content))
      .map(({ content, at }) => `${file}:${at}: ${content}`),
  );
}

describe('comments speak of the code, not of its history', () => {
  test('no comment in the tree names an issue, a wave or a branch', () => {
    const found = TREES.flatMap((tree) => sources(join(ROOT, tree)))
      .filter((file) => !file.startsWith(__dirname))
      .flatMap((file) => historyIn(relative(ROOT, file), readFileSync(file, 'utf8')));
    expect(found).toEqual([]);
  });

  test('finds a planted sample in comments and leaves code alone', () => {
    const planted = [
      "const route = '/v1/events'; // added for issue 13.",
      '/**',
      ' * The audit trail (events branch).',
      ' */',
      "const label = 'issue 13'; // a string is not a comment.",
      'const pattern = /a\\/\\/b/; // the second wave needs it.',
    ].join('\n');
    expect(historyIn('planted.ts', planted)).toEqual([
      'planted.ts:1: // added for issue 13.',
      'planted.ts:3: * The audit trail (events branch).',
      'planted.ts:6: // the second wave needs it.',
    ]);
  });
});
