/**
 * What every section of the benchmark measures against: one tenant with one live developer key,
 * stored in an in-memory store and in DynamoDB Local.
 */
import type { AuthorizeDeps } from '../lambdas/core/auth/authorize';
import { systemClock } from '../lambdas/core/support/clock';
import { expiryAt } from '../lambdas/core/keys/expiry';
import type { Logger } from '../lambdas/core/support/logger';
import type { KeyItem, Tenant } from '../lambdas/core/model';
import { assertValidKeyFormat, defaultFormatFor, type KeyFormat } from '../lambdas/core/keys/format';
import { buildKey } from '../lambdas/core/keys/new-key';
import type { KeyStore } from '../lambdas/core/store/store';

/** A logger that drops everything: the benchmark measures the path, not the log sink. */
export const quiet: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** The method ARN API Gateway would hand the authorizer for `GET /v1/me`. */
export const METHOD_ARN = 'arn:aws:execute-api:us-east-1:000000000000:keygate/prod/GET/v1/me';

export const PREFIX = 'sk';

/**
 * The key format measured: `BENCH_KEY_FORMAT` (JSON, as `keygate:keyFormat`), the default format
 * otherwise; `BENCH_KEY_FORMAT='{"prefix":"sk","environment":false,"checksum":false}' npm run bench`
 * measures PostCo's.
 */
export const KEY_FORMAT: KeyFormat = keyFormatFromEnv(process.env.BENCH_KEY_FORMAT);

function keyFormatFromEnv(text: string | undefined): KeyFormat {
  if (text === undefined || text === '') return defaultFormatFor(PREFIX);
  const format: unknown = JSON.parse(text);
  assertValidKeyFormat(format);
  return format;
}

/** One tenant and one key, with the plaintext the client sends. */
export interface BenchKey {
  readonly tenant: Tenant;
  readonly item: KeyItem;
  readonly plaintext: string;
}

export function benchKey(): BenchKey {
  const tenant: Tenant = {
    tenantId: 'bench',
    name: 'Bench',
    plan: 'scale',
    limits: { rateLimit: 1000, burstLimit: 2000 },
    status: 'active',
    createdAt: new Date().toISOString(),
    version: 1,
    usageKeys: {},
  };
  const { item, plaintext } = buildKey({
    prefix: KEY_FORMAT.prefix,
    keyFormat: KEY_FORMAT,
    tenant,
    name: 'bench',
    environment: 'live',
    role: 'developer',
    expiry: expiryAt(null),
    now: new Date(),
  });
  return { tenant, item, plaintext };
}

/** The authorizer's two store calls over a map: no I/O, for the warm CPU figures. */
export function memoryStore(items: readonly KeyItem[]): Pick<KeyStore, 'getKey' | 'touchLastUsed'> {
  const byId = new Map(items.map((item) => [item.id, item]));
  return {
    getKey: async (id) => byId.get(id),
    touchLastUsed: async () => true,
  };
}

/** A store that counts the calls made through it. */
export interface CountingStore {
  readonly store: Pick<KeyStore, 'getKey' | 'touchLastUsed'>;
  readonly reads: () => number;
  readonly writes: () => number;
}

export function countingStore(inner: Pick<KeyStore, 'getKey' | 'touchLastUsed'>): CountingStore {
  let reads = 0;
  let writes = 0;
  return {
    store: {
      getKey: async (id) => {
        reads += 1;
        return inner.getKey(id);
      },
      touchLastUsed: async (...args) => {
        writes += 1;
        return inner.touchLastUsed(...args);
      },
    },
    reads: () => reads,
    writes: () => writes,
  };
}

/** The settings the deployed authorizer runs with (`lib/key-authorizer.ts` defaults). */
export const AUTHORIZER_SETTINGS: Pick<AuthorizeDeps, 'prefix' | 'formats' | 'acceptBareKeys' | 'clock' | 'logger'> = {
  prefix: KEY_FORMAT.prefix,
  formats: [KEY_FORMAT],
  acceptBareKeys: true,
  clock: systemClock,
  logger: quiet,
};
