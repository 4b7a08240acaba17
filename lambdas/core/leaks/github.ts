import { verify } from 'node:crypto';
import * as z from 'zod/mini';

/**
 * GitHub's secret scanning public keys, in the shape its meta endpoint
 * (`https://api.github.com/meta/public_keys/secret_scanning`) returns them.
 */
export const githubPublicKeysSchema = z.object({
  public_keys: z.array(
    z.object({
      key_identifier: z.string().check(z.minLength(1)),
      key: z.string().check(z.minLength(1)),
      is_current: z.boolean(),
    }),
  ),
});

/** Where the public key that signed an alert is found, by its identifier. */
export interface GithubKeySource {
  /** The PEM of the key with this identifier, or `undefined` when none is known. */
  find(keyIdentifier: string): Promise<string | undefined>;
}

/**
 * Keys given as the meta endpoint's JSON (the setting `KEYGATE_GITHUB_PUBLIC_KEYS` locally and in
 * tests). Parsed at once, so a broken setting fails at start, loudly.
 */
export function staticGithubKeys(json: string): GithubKeySource {
  let parsed: z.infer<typeof githubPublicKeysSchema>;
  try {
    parsed = githubPublicKeysSchema.parse(JSON.parse(json));
  } catch (error) {
    throw new Error(
      `GitHub public keys must be the meta endpoint's JSON ({"public_keys": [{"key_identifier", "key", "is_current"}]}): ${(error as Error).message}`,
      { cause: error },
    );
  }
  const keys = new Map(parsed.public_keys.map((key) => [key.key_identifier, key.key]));
  return { find: async (id) => keys.get(id) };
}

/** The endpoint GitHub publishes its secret scanning keys at. */
export const GITHUB_KEYS_URL = 'https://api.github.com/meta/public_keys/secret_scanning';

/**
 * Keys fetched from GitHub's meta endpoint and cached: GitHub rotates keys rarely, and an
 * identifier not in the cache triggers one refetch at most every `minRefetchMs`, so a flood of
 * made-up identifiers cannot turn into a flood of requests to GitHub.
 */
export class FetchedGithubKeys implements GithubKeySource {
  private keys: Map<string, string> | undefined;
  private fetchedAt = -Infinity;

  constructor(
    private readonly fetchJson: () => Promise<unknown> = async () =>
      (await fetch(GITHUB_KEYS_URL, { headers: { accept: 'application/json' } })).json(),
    private readonly now: () => number = Date.now,
    private readonly maxAgeMs = 3_600_000,
    private readonly minRefetchMs = 60_000,
  ) {}

  async find(keyIdentifier: string): Promise<string | undefined> {
    const age = this.now() - this.fetchedAt;
    const stale =
      this.keys === undefined || age > this.maxAgeMs || (!this.keys.has(keyIdentifier) && age > this.minRefetchMs);
    if (stale) {
      const parsed = githubPublicKeysSchema.parse(await this.fetchJson());
      this.keys = new Map(parsed.public_keys.map((key) => [key.key_identifier, key.key]));
      this.fetchedAt = this.now();
    }
    return this.keys?.get(keyIdentifier);
  }
}

/**
 * Whether `body` (the raw bytes, exactly as received) carries a valid GitHub signature: ECDSA
 * P-256 over SHA-256, DER, base64 in `Github-Public-Key-Signature`, by the key named in
 * `Github-Public-Key-Identifier`. Anything missing, unknown or malformed is `false`: fail closed.
 */
export async function verifyGithubSignature(
  keys: GithubKeySource,
  body: Buffer,
  keyIdentifier: string | undefined,
  signature: string | undefined,
): Promise<boolean> {
  if (keyIdentifier === undefined || signature === undefined || keyIdentifier.length > 256 || signature.length > 1024)
    return false;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(signature)) return false;
  const pem = await keys.find(keyIdentifier);
  if (pem === undefined) return false;
  try {
    return verify('sha256', body, pem, Buffer.from(signature, 'base64'));
  } catch {
    return false;
  }
}

/** One token GitHub found, as its alert lists them. Other fields GitHub may add are ignored. */
export const githubAlertSchema = z
  .array(
    z.object({
      token: z.string().check(z.maxLength(1024)),
      type: z.string().check(z.maxLength(256)),
      url: z.optional(z.string().check(z.maxLength(2048))),
      source: z.optional(z.string().check(z.maxLength(256))),
    }),
  )
  .check(z.maxLength(1000));

/** A token GitHub reported. */
export type GithubAlert = z.infer<typeof githubAlertSchema>[number];

/** GitHub's optional feedback answer, one entry per reported token. */
export interface GithubFeedback {
  readonly token_raw: string;
  readonly token_type: string;
  readonly label: 'true_positive' | 'false_positive';
}
