import { createHash } from 'node:crypto';
import { appendFileSync } from 'node:fs';

/**
 * Collects, per test file, every log line and HTTP answer of the local gateway together with
 * every secret that passed through (keys answered at creation or rotation, Authorization values
 * sent), and finds where a secret shows up where it must not. `test/support/leak-check.ts` runs
 * it after each test file; `test/support/local.ts` feeds it.
 */

/**
 * A key in any format keygate mints (`keygate:keyFormat`): prefix, the environment when the format
 * has one, 64 hex of secret, 8 hex of CRC-32 when the format has a checksum.
 */
const KEY = /\b([a-z0-9]{1,16})_(?:(live|test)_)?([0-9a-f]{64})((?:[0-9a-f]{8})?)\b/g;
/** A session token or a console sign-in code as keygate mints them: `kgs_` or `kgl_` and 43 base64url characters. */
const SESSION = /\bkg[sl]_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])/g;
/** Windows of the secret this long count as a leak: 48 bits, never matched by chance. */
const WINDOW = 12;
/** Authorization values shorter than this (`Bearer`, `x`) are too common to scan for. */
const MIN_AUTHORIZATION = 16;

interface Secret {
  readonly key: string;
  readonly hash: string;
}

/** One place a secret was found. */
export interface Leak {
  readonly where: string;
  readonly what: 'key' | 'secret part' | 'hash' | 'authorization' | 'session token';
  readonly excerpt: string;
}

/** The collected text and secrets of one test file. */
export class LeakScan {
  private readonly keys = new Map<string, Secret>();
  private readonly windows = new Set<string>();
  private readonly hashes = new Set<string>();
  private readonly authorizations = new Set<string>();
  private readonly sessionTokens = new Set<string>();
  private readonly lines: { where: string; text: string }[] = [];
  private readonly leaks: Leak[] = [];
  /** How many log lines and answers were scanned. */
  readonly counts = { logLines: 0, responses: 0, secrets: 0, authorizations: 0 };

  /** A log line (request log or JSON logger); scanned at the end, when every secret is known. */
  log(where: string, text: string): void {
    this.counts.logLines++;
    this.lines.push({ where, text });
  }

  /**
   * An HTTP answer to a `method` request that sent `authorization`. Only answers to POST (creation,
   * rotation, a replayed creation) may carry whole keys; no answer may carry a hash, a part of a
   * key without the whole, or its own request's Authorization value. Keys seen become known secrets.
   */
  response(where: string, method: string, authorization: string | undefined, text: string): void {
    this.counts.responses++;
    if (authorization !== undefined) this.authorization(authorization);
    const whole = [...text.matchAll(KEY)].map((m) => m[0]);
    for (const key of whole) this.hashes.add(sha256(key));
    const own = authorization !== undefined && authorization.length >= MIN_AUTHORIZATION ? [authorization] : [];
    const allowed = new Set(
      method.toUpperCase() === 'POST'
        ? whole.filter((key) => !own.some((a) => a.includes(key))).flatMap(windowsOf)
        : [],
    );
    for (const key of whole) this.secret(key);
    // a session token may be in the answer that minted it (a POST, seen for the first time), nowhere else.
    const minted = new Set(
      method.toUpperCase() === 'POST'
        ? [...text.matchAll(SESSION)].map((m) => m[0]).filter((t) => !this.sessionTokens.has(t))
        : [],
    );
    for (const token of minted) this.sessionToken(token);
    this.scan(where, text, allowed, own, minted);
  }

  /** A session token known from elsewhere: never to be seen again after the answer that minted it. */
  sessionToken(token: string): void {
    if (this.sessionTokens.has(token)) return;
    this.counts.secrets++;
    this.sessionTokens.add(token);
    this.hashes.add(sha256(token));
  }

  /** A secret known from elsewhere (e.g. the operator key a start printed). */
  secret(key: string): void {
    if (this.keys.has(key)) return;
    this.counts.secrets++;
    const hash = sha256(key);
    this.keys.set(key, { key, hash });
    this.hashes.add(hash);
    for (const window of windowsOf(key)) this.windows.add(window);
  }

  /** An Authorization header value sent. */
  authorization(value: string): void {
    // a key inside it (bare, `Bearer`, odd spacing) is a secret whether keygate knows it or not.
    for (const m of value.matchAll(KEY)) this.secret(m[0]);
    for (const m of value.matchAll(SESSION)) this.sessionToken(m[0]);
    if (value.length < MIN_AUTHORIZATION || this.authorizations.has(value)) return;
    this.counts.authorizations++;
    this.authorizations.add(value);
  }

  /** Every leak found: in answers as they came, in log lines against every secret seen. */
  findLeaks(): Leak[] {
    const found = [...this.leaks];
    for (const line of this.lines)
      found.push(...this.check(line.where, line.text, new Set(), [...this.authorizations]));
    return found;
  }

  private scan(
    where: string,
    text: string,
    allowed: Set<string>,
    authorizations: string[],
    mintedTokens: ReadonlySet<string> = new Set(),
  ): void {
    this.leaks.push(...this.check(where, text, allowed, authorizations, mintedTokens));
  }

  private check(
    where: string,
    text: string,
    allowed: Set<string>,
    authorizations: string[],
    mintedTokens: ReadonlySet<string> = new Set(),
  ): Leak[] {
    const found: Leak[] = [];
    const excerpt = (at: number): string => text.slice(Math.max(0, at - 40), at + 80);
    for (const token of this.sessionTokens) {
      const at = text.indexOf(token);
      if (at >= 0 && !mintedTokens.has(token)) found.push({ where, what: 'session token', excerpt: excerpt(at) });
    }
    const lower = text.toLowerCase();
    for (const run of lower.matchAll(/[0-9a-f]{12,}/g)) {
      const hex = run[0];
      if (hex.length >= 64) {
        for (let i = 0; i + 64 <= hex.length; i++) {
          if (this.hashes.has(hex.slice(i, i + 64))) found.push({ where, what: 'hash', excerpt: excerpt(run.index) });
        }
      }
      for (let i = 0; i + WINDOW <= hex.length; i++) {
        const window = hex.slice(i, i + WINDOW);
        if (this.windows.has(window) && !allowed.has(window)) {
          found.push({ where, what: hex.length >= 72 ? 'key' : 'secret part', excerpt: excerpt(run.index) });
          break;
        }
      }
    }
    for (const value of authorizations) {
      const at = text.indexOf(value);
      if (at >= 0) found.push({ where, what: 'authorization', excerpt: excerpt(at) });
    }
    return found;
  }
}

/** Every 12-hex window of a key's secret part (the 64 characters after `<prefix>_` and the environment). */
function windowsOf(key: string): string[] {
  const secret = new RegExp(KEY.source).exec(key)?.[3] ?? '';
  const windows: string[] = [];
  for (let i = 0; i + WINDOW <= secret.length; i++) windows.push(secret.slice(i, i + WINDOW));
  return windows;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The scan of the test file that is running (jest gives each file its own module registry). */
export const leakScan = new LeakScan();

/** Adds this file's counts to the run's report, which the global teardown prints. */
export function reportCounts(file: string): void {
  const report = process.env.KEYGATE_LEAK_REPORT;
  if (report === undefined) return;
  if (leakScan.counts.logLines + leakScan.counts.responses === 0) return;
  appendFileSync(report, `${JSON.stringify({ file, ...leakScan.counts })}\n`);
}
