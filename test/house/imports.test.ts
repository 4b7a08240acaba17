import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import * as ts from 'typescript';

const ROOT = join(__dirname, '..', '..');
const TREES = ['bin', 'bench', 'client', 'elements', 'examples', 'lambdas', 'lib', 'local', 'openapi', 'test'];

/** Every source file's project-relative path and the project files it imports. */
type Graph = ReadonlyMap<string, readonly string[]>;

function sources(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : sources(path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** A relative specifier as the file it names; packages and `node:` modules are not project files. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(dirname(from), specifier);
  const found = [`${base}.ts`, `${base}.tsx`, join(base, 'index.ts'), base].find(
    (path) => existsSync(path) && statSync(path).isFile(),
  );
  return relative(ROOT, found ?? base)
    .split('\\')
    .join('/');
}

/** The import graph of the tree: static imports, re-exports, `import type` and `import()` alike. */
function projectGraph(): Graph {
  const graph = new Map<string, string[]>();
  for (const file of TREES.flatMap((tree) => sources(join(ROOT, tree)))) {
    const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const targets = importedFiles
      .map(({ fileName }) => resolveSpecifier(file, fileName))
      .filter((target): target is string => target !== undefined);
    graph.set(relative(ROOT, file).split('\\').join('/'), targets);
  }
  return graph;
}

const top = (path: string): string => path.split('/')[0] ?? '';
/** `lambdas/<folder>/...` as `<folder>`, or undefined outside lambdas. */
const lambdaFolder = (path: string): string | undefined => (top(path) === 'lambdas' ? path.split('/')[1] : undefined);

/**
 * The house's import rules, one message per offending import: the domain core stands alone, a
 * handler never reaches into another handler, Lambda code never reaches the CDK app, the local
 * gateway, the scripts or the tests, and the CDK app never reaches the local gateway.
 */
function wrongWayImports(graph: Graph): string[] {
  // a handler folder is one with a handler.ts; core and runtime are shared by all handlers.
  const handlerFolders = new Set(
    [...graph.keys()].filter((path) => /^lambdas\/[^/]+\/handler\.ts$/.test(path)).map((path) => lambdaFolder(path)),
  );
  const found: string[] = [];
  for (const [from, targets] of graph) {
    for (const to of targets) {
      const fromFolder = lambdaFolder(from);
      const toFolder = lambdaFolder(to);
      if (fromFolder === 'core' && toFolder !== 'core')
        found.push(`${from} -> ${to}: lambdas/core imports only lambdas/core`);
      else if (fromFolder !== undefined && toFolder === undefined)
        found.push(`${from} -> ${to}: Lambda code imports only lambdas/`);
      else if (fromFolder !== undefined && toFolder !== fromFolder && handlerFolders.has(toFolder))
        found.push(
          `${from} -> ${to}: a Lambda folder never imports another handler's folder (share through lambdas/core)`,
        );
      else if (top(from) === 'lib' && ['local', 'bin', 'test', 'bench'].includes(top(to)))
        found.push(`${from} -> ${to}: lib/ never imports ${top(to)}/`);
    }
  }
  return found;
}

/** Each import cycle among the given files once, as the path that closes it. */
function cycles(graph: Graph, within: (path: string) => boolean): string[] {
  const found: string[] = [];
  const done = new Set<string>();
  const visit = (file: string, trail: string[]): void => {
    const at = trail.indexOf(file);
    if (at >= 0) {
      found.push([...trail.slice(at), file].join(' -> '));
      return;
    }
    if (done.has(file)) return;
    for (const next of graph.get(file) ?? []) if (within(next)) visit(next, [...trail, file]);
    done.add(file);
  };
  for (const file of [...graph.keys()].filter(within).sort()) visit(file, []);
  return found;
}

const inCore = (path: string): boolean => path.startsWith('lambdas/core/');

describe('imports run one way', () => {
  const graph = projectGraph();

  test('the graph is read from the tree (a broken reader would find nothing wrong)', () => {
    expect(graph.get('lambdas/keys/handler.ts')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^lambdas\/core\//)]),
    );
    expect(graph.size).toBeGreaterThan(100);
  });

  test('no wrong-way import anywhere in the tree', () => {
    expect(wrongWayImports(graph)).toEqual([]);
  });

  test('no import cycle within lambdas/core', () => {
    expect(cycles(graph, inCore)).toEqual([]);
  });

  test('each rule finds its planted violation', () => {
    const planted: Graph = new Map([
      ['lambdas/core/http/api.ts', ['lambdas/keys/handler.ts']],
      [
        'lambdas/panel/handler.ts',
        ['lambdas/keys/handler.ts', 'lambdas/core/keys/key-service.ts', 'lambdas/runtime/proxy.ts'],
      ],
      ['lambdas/keys/handler.ts', ['lib/settings.ts']],
      ['lambdas/runtime/proxy.ts', ['lambdas/core/http/http.ts']],
      ['lib/keygate-stack.ts', ['local/settings.ts', 'lambdas/runtime/settings.ts']],
      ['local/app.ts', ['lambdas/keys/handler.ts']],
    ]);
    expect(wrongWayImports(planted)).toEqual([
      'lambdas/core/http/api.ts -> lambdas/keys/handler.ts: lambdas/core imports only lambdas/core',
      "lambdas/panel/handler.ts -> lambdas/keys/handler.ts: a Lambda folder never imports another handler's folder (share through lambdas/core)",
      'lambdas/keys/handler.ts -> lib/settings.ts: Lambda code imports only lambdas/',
      'lib/keygate-stack.ts -> local/settings.ts: lib/ never imports local/',
    ]);
    const loop: Graph = new Map([
      ['lambdas/core/auth/authorize.ts', ['lambdas/core/store/store.ts']],
      ['lambdas/core/store/store.ts', ['lambdas/core/events/model.ts']],
      ['lambdas/core/events/model.ts', ['lambdas/core/auth/authorize.ts']],
      ['lambdas/core/model.ts', []],
    ]);
    expect(cycles(loop, inCore)).toEqual([
      'lambdas/core/auth/authorize.ts -> lambdas/core/store/store.ts -> lambdas/core/events/model.ts -> lambdas/core/auth/authorize.ts',
    ]);
  });
});
