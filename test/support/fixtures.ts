import { ApiError } from '../../lambdas/core/http/errors';
import { buildKey } from '../../lambdas/core/keys/new-key';
import { expiryAt } from '../../lambdas/core/keys/expiry';
import type { Environment, Role } from '../../lambdas/core/keys/format';
import type { Logger, LogFields } from '../../lambdas/core/support/logger';
import type { KeyItem, Tenant } from '../../lambdas/core/model';
import type { AccessRecord } from '../../lambdas/core/usage/access-record';
import { ENV } from '../../lambdas/runtime/env-names';
import { BASE, instant } from './time';

/** A method ARN as API Gateway sends it to the authorizer. */
export const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod/GET/v1/me';

/** A logger that keeps its lines for assertions. */
export function recordingLogger(): Logger & {
  lines: { level: string; message: string; fields?: LogFields }[];
  text(): string;
} {
  const lines: { level: string; message: string; fields?: LogFields }[] = [];
  const push = (level: string) => (message: string, fields?: LogFields) => lines.push({ level, message, fields });
  return { lines, info: push('INFO'), warn: push('WARN'), error: push('ERROR'), text: () => JSON.stringify(lines) };
}

/** The movable test clock, kept here beside the fixtures that most of its users import too. */
export { fixedClock } from './time';

/** A tenant with sensible defaults, created three weeks before {@link BASE}. */
export function tenantFixture(overrides: Partial<Tenant> = {}): Tenant {
  return {
    tenantId: 'acme',
    name: 'Acme',
    plan: 'starter',
    limits: { rateLimit: 10, burstLimit: 20 },
    status: 'active',
    createdAt: instant(-22),
    version: 1,
    usageKeys: { live: { id: 'apikey-live', value: 'usagelivevalue0123456789' } },
    ...overrides,
  };
}

/** A freshly minted key of a tenant: its item and its plaintext, minted at {@link BASE} unless `now` says otherwise. */
export function keyFixture(
  options: {
    tenant?: Tenant;
    role?: Role;
    environment?: Environment;
    expiresAt?: string | null;
    now?: string;
    name?: string;
  } = {},
): { item: KeyItem; plaintext: string } {
  return buildKey({
    prefix: 'sk',
    tenant: options.tenant ?? tenantFixture(),
    name: options.name ?? 'ci',
    environment: options.environment ?? 'live',
    role: options.role ?? 'developer',
    expiry: expiryAt(
      options.expiresAt === undefined || options.expiresAt === null ? null : new Date(options.expiresAt),
    ),
    now: new Date(options.now ?? BASE),
  });
}

/** The raw DynamoDB item the store writes for a key (as a mocked GetItem returns it). */
export function rawKeyItem(item: KeyItem): Record<string, unknown> {
  const raw: Record<string, unknown> = {
    pk: `KEY#${item.id}`,
    sk: 'KEY',
    gsi1pk: `TENANT#${item.tenantId}`,
    gsi1sk: `${item.createdAt}#${item.id}`,
    ...item,
  };
  if (item.expiresAt === null) delete raw.expiresAt;
  else raw.ttl = Math.floor(Date.parse(item.expiresAt) / 1000);
  if (item.lastUsedAt === null) delete raw.lastUsedAt;
  return raw;
}

/** Runs a call that must fail with an {@link ApiError}, and returns it. */
export async function apiError(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApiError)) throw new Error(`expected an ApiError, got ${String(error)}`);
  return error;
}

let accessSequence = 0;

/**
 * One access-log record as the usage aggregator reads it: key `k1` of tenant `acme` calling
 * `GET /v1/me` on `prod` at `at` (epoch ms), answered 200 in 20 ms, from 127.0.0.1 with curl.
 * Each gets a request id and log event id of its own; `changes` override any field.
 */
export function accessRecord(at: number, changes: Partial<AccessRecord> = {}): AccessRecord {
  accessSequence += 1;
  return {
    requestId: `req-${accessSequence}`,
    eventId: `evt-${accessSequence}`,
    requestTimeEpoch: at,
    stage: 'prod',
    ip: '127.0.0.1',
    method: 'GET',
    resource: '/v1/me',
    status: 200,
    latencyMs: 20,
    keyId: 'k1',
    tenantId: 'acme',
    environment: 'live',
    userAgent: 'curl/8',
    ...changes,
  };
}

/** The environment the stack gives the authorizer (lib/key-authorizer.ts), with fake credentials for a faked table read. */
export const AUTHORIZER_ENVIRONMENT: Readonly<Record<string, string>> = {
  [ENV.tableName]: 'keys',
  [ENV.keyPrefix]: 'sk',
  [ENV.acceptBareKeys]: 'true',
  [ENV.lastUsedIntervalSeconds]: '60',
  [ENV.routeRoles]: '[]',
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'secret',
};
