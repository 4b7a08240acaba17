import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintKeyIn } from '../../../lambdas/core/keys/format';
import { keyFormatsOf, type KeygateSettings } from '../../../lib/settings';
import type { LocalKeygate } from '../../../local/app';
import { localOptionsOf, localSettings } from '../../../local/settings';
import { COMMAND_LANGS, fences, ROOT, serverStart } from '../../docs/fences';
import { leakScan } from '../../support/leak-scan';
import { call, startTestKeygate } from '../../support/local';
import { fixedClock, instant, type TestClock } from '../../support/time';

// a seed's API as its page configures it: the page's settings block is read from the page itself,
// so the page cannot say what the test does not run (the checks are in seed-checks.ts).

/** A seed page: its `cdk.json` block and the `npm start` line that serves the same locally. */
export interface SeedPage {
  readonly file: string;
  /** The page's one JSON block whose keys are all `keygate:` settings. */
  readonly context: Readonly<Record<string, unknown>>;
  /** The variables of the page's one `… npm start` block. */
  readonly startEnv: Readonly<Record<string, string>>;
}

/** Reads `docs/seeds/<name>.md`; a page without exactly one settings block and one start line fails. */
export function seedPage(name: string): SeedPage {
  const file = join(ROOT, 'docs', 'seeds', `${name}.md`);
  const blocks = fences(file);
  const contexts = blocks
    .filter((fence) => fence.lang === 'json')
    .map((fence) => JSON.parse(fence.body) as unknown)
    .filter(
      (value): value is Record<string, unknown> =>
        typeof value === 'object' &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length > 0 &&
        Object.keys(value).every((key) => key.startsWith('keygate:')),
    );
  const starts = blocks
    .filter((fence) => COMMAND_LANGS.includes(fence.lang) && fence.notRun === undefined)
    .map(serverStart)
    .filter((env): env is Record<string, string> => env !== undefined);
  if (contexts.length !== 1 || starts.length !== 1) {
    throw new Error(
      `${file}: expected one settings block and one npm start line, found ${contexts.length} and ${starts.length}`,
    );
  }
  return { file, context: contexts[0], startEnv: starts[0] };
}

/**
 * The settings a reader gets by putting the page's block into this checkout's `cdk.json` context,
 * with `env` on top as `npm start` reads it.
 */
export function settingsOf(page: SeedPage, env: NodeJS.ProcessEnv = {}): KeygateSettings {
  const repo = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')) as { context: Record<string, unknown> };
  const dir = mkdtempSync(join(tmpdir(), 'keygate-seed-'));
  try {
    const file = join(dir, 'cdk.json');
    writeFileSync(file, JSON.stringify({ ...repo, context: { ...repo.context, ...page.context } }));
    return localSettings(env, file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The settings of the page's `npm start` line, over this checkout's `cdk.json` as it is. */
export function startLineSettings(page: SeedPage): KeygateSettings {
  return localSettings(page.startEnv, join(ROOT, 'cdk.json'));
}

/** A request the fake backend received. */
export interface Forwarded {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** A seed's API served by the local gateway as its page configures it, over a fake backend. */
export interface Seed {
  readonly page: SeedPage;
  readonly settings: KeygateSettings;
  readonly keygate: LocalKeygate;
  readonly clock: TestClock;
  readonly operator: string;
  /** What reached the backend, oldest first. */
  readonly forwarded: Forwarded[];
  stop(): Promise<void>;
}

/** The test's clock starts here; expiry and staleness move it and put it back. */
export const SEED_START = instant(0, '10:00');

/**
 * Starts the local gateway with exactly the settings of `docs/seeds/<name>.md` (as `npm start`
 * would read them from `cdk.json`), its upstream a fake backend that answers 200 `{"ok":true}`.
 */
export async function startSeed(name: string): Promise<Seed> {
  const page = seedPage(name);
  const forwarded: Forwarded[] = [];
  const backend = createServer((req, res) => {
    forwarded.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => backend.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
  // the reader's own backend replaces the page's, as KEYGATE_UPSTREAM_URL does for npm start.
  const settings = settingsOf(page, { KEYGATE_UPSTREAM_URL: upstreamUrl });
  const clock = fixedClock(SEED_START);
  const keygate = await startTestKeygate({
    ...localOptionsOf(settings),
    clock,
    upstream: { url: upstreamUrl, secret: 'seed-upstream-secret' },
  });
  return {
    page,
    settings,
    keygate,
    clock,
    operator: keygate.operatorKey as string,
    forwarded,
    async stop() {
      await keygate.stop();
      backend.closeAllConnections();
      await new Promise<void>((resolve) => backend.close(() => resolve()));
    },
  };
}

/** An answer as the client reads it: status, content type, headers and the body's exact bytes. */
export interface RawAnswer {
  readonly status: number;
  readonly type: string | null;
  readonly headers: Headers;
  readonly body: string;
}

/** A request with `Authorization` exactly as given (none when `undefined`), leak-scanned. */
export async function send(
  seed: Seed,
  method: string,
  path: string,
  authorization: string | undefined,
): Promise<RawAnswer> {
  const res = await fetch(`${seed.keygate.url}${path}`, {
    method,
    headers: authorization === undefined ? {} : { authorization },
  });
  const body = await res.text();
  leakScan.response(
    `${method} ${path} ${res.status}`,
    method,
    authorization,
    `${JSON.stringify([...res.headers])}\n${body}`,
  );
  return { status: res.status, type: res.headers.get('content-type'), headers: res.headers, body };
}

/** How a seed's clients send a key: `Bearer <key>`, or the key alone. */
export type HeaderForm = (key: string) => string;
export const bearer: HeaderForm = (key) => `Bearer ${key}`;
export const bare: HeaderForm = (key) => key;

/** Calls a path of the seed's own API (the front door) with `key` in the seed's header form. */
export function caller(seed: Seed, form: HeaderForm, path: string): (key: string) => Promise<RawAnswer> {
  return (key) => send(seed, 'GET', path, form(key));
}

/**
 * A tenant of the seed's API (a shop, a team, an account) and its first owner key, on the scale
 * plan: the clock stands still, so no bucket refills, and a burst of 2,000 outlasts a test file.
 */
export async function tenant(seed: Seed, tenantId: string): Promise<string> {
  const res = await call(seed.keygate.url, 'POST', '/v1/panel/tenants', {
    key: seed.operator,
    body: { tenantId, name: tenantId, plan: 'scale' },
  });
  if (res.status !== 201) throw new Error(`tenant ${tenantId}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.key.key as string;
}

/** A key record as `POST /v1/keys` answers it, with the plaintext. */
export interface CreatedKey {
  readonly id: string;
  readonly key: string;
  readonly name: string;
  readonly environment: string;
  readonly role: string;
  readonly last4: string;
  readonly expiresAt: string | null;
}

/** Creates a key with `owner`'s key through `POST /v1/keys`; anything but 201 fails the test. */
export async function createKey(seed: Seed, owner: string, body: Record<string, unknown>): Promise<CreatedKey> {
  const res = await call(seed.keygate.url, 'POST', '/v1/keys', { key: owner, body });
  if (res.status !== 201) throw new Error(`create ${JSON.stringify(body)}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as CreatedKey;
}

/** A key of the seed's format that was never issued: well shaped, so only the authorizer refuses it. */
export function neverIssued(seed: Seed): string {
  return mintKeyIn(keyFormatsOf(seed.settings)[0], 'live').plaintext;
}
