import { keyDetails, keyEvent } from '../events/changes';
import { actorOf } from '../events/model';
import { ApiError, invalidRequest, type ErrorCode } from '../http/errors';
import { snapshotOf, type AuthorizerContext, type KeyItem, type Tenant } from '../model';
import { KeyExistsError } from '../store/store';
import { tenantTakingKeys, onLatestTenant } from '../tenants/latest-tenant';
import { defaultFormatFor, hashKey, keyIdFromHash, parseKeyIn, type Environment, type Role } from './format';
import { assertMayCreate } from './key-permissions';
import type { KeyServiceDeps } from './key-service';

/** One key to import, as validated by the route: exactly one of `key` and `sha256` is meant to be set. */
export interface ImportKeyInput {
  /** The plaintext; hashed here and dropped, never stored, logged or answered. */
  readonly key?: string;
  /** The key's SHA-256 as 64 lowercase hex, taken as is. */
  readonly sha256?: string;
  readonly name: string;
  readonly environment?: Environment;
  readonly role?: Role;
  readonly expiresAt?: string;
  readonly createdAt?: string;
  readonly lastUsedAt?: string;
  readonly last4?: string;
  readonly meta?: Readonly<Record<string, string>>;
}

/** One item's outcome, in the batch's order; `error` in the contract's `{ code, message }` shape. */
export interface ImportResult {
  readonly index: number;
  readonly status: 'imported' | 'duplicate' | 'invalid';
  readonly keyId?: string;
  readonly error?: { readonly code: ErrorCode; readonly message: string };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** A key reduced to what is stored of it: its hash, and what the record needs that the hash cannot tell. */
interface Arrival {
  readonly hash: string;
  readonly last4: string;
  readonly environment: Environment;
}

/**
 * Brings keys issued elsewhere into a tenant, so its users keep them: each is stored by its
 * SHA-256 like a minted key (the authorizer reads the same item), with an event, on the same
 * rules as a creation. Items are decided one by one and never fail the batch; a key whose hash
 * is stored already, or came earlier in the batch, is a duplicate and is not written again.
 */
export class KeyImporter {
  constructor(private readonly deps: KeyServiceDeps) {}

  /**
   * Imports a batch for `caller`'s tenant; `items` holds each item as the route validated it, or
   * the error that refused it. Items are written one after the other, each in its own
   * transaction conditioned on its hash item being absent, so a concurrent import or creation of
   * the same key cannot store it twice.
   */
  async importKeys(caller: AuthorizerContext, items: readonly (ImportKeyInput | ApiError)[]): Promise<ImportResult[]> {
    const seen = new Set<string>();
    const results: ImportResult[] = [];
    for (const [index, item] of items.entries()) {
      results.push(await this.importOne(caller, index, item, seen));
    }
    return results;
  }

  private async importOne(
    caller: AuthorizerContext,
    index: number,
    input: ImportKeyInput | ApiError,
    seen: Set<string>,
  ): Promise<ImportResult> {
    const invalid = (error: ApiError): ImportResult => ({
      index,
      status: 'invalid',
      error: { code: error.code, message: error.message },
    });
    if (input instanceof ApiError) return invalid(input);
    let arrival: Arrival;
    let role: Role;
    const now = this.deps.clock();
    try {
      arrival = this.arrival(input);
      role = input.role ?? 'developer';
      assertMayCreate(caller, role, arrival.environment);
      assertInstants(input, now);
    } catch (error) {
      if (error instanceof ApiError) return invalid(error);
      throw error;
    }
    const keyId = keyIdFromHash(arrival.hash);
    const duplicate: ImportResult = {
      index,
      status: 'duplicate',
      keyId,
      error: { code: 'conflict', message: 'this key is stored already, or came earlier in this batch' },
    };
    if (seen.has(arrival.hash)) return duplicate;
    seen.add(arrival.hash);
    try {
      await onLatestTenant(
        this.deps,
        caller.tenantId,
        async (current) => {
          const tenant =
            this.deps.usage === undefined
              ? current
              : await this.deps.usage.ensureUsageKey(current, arrival.environment);
          const item = importedItem(tenant, input, arrival, role, now, caller.keyId);
          const event = keyEvent('key.imported', actorOf(caller), item, now, keyDetails(item));
          await this.deps.store.createKey(item, event);
        },
        tenantTakingKeys,
      );
    } catch (error) {
      if (error instanceof KeyExistsError) return duplicate;
      throw error;
    }
    return { index, status: 'imported', keyId };
  }

  /** The key's hash, last four and environment, from its plaintext (checked against the format) or its hash. */
  private arrival(input: ImportKeyInput): Arrival {
    if ((input.key === undefined) === (input.sha256 === undefined))
      throw invalidRequest('key: give either key (the plaintext) or sha256 (its SHA-256 hex), not both');
    if (input.key !== undefined) {
      // the message never quotes the key: it is a secret whether it is well formed or not.
      const formats = this.deps.acceptedFormats ?? [this.deps.keyFormat ?? defaultFormatFor(this.deps.prefix)];
      const parsed = parseKeyIn(input.key, formats);
      if (parsed === undefined) throw invalidRequest("key: not a key of this deployment's accepted format");
      const last4 = input.key.slice(-4);
      if (input.last4 !== undefined && input.last4 !== last4)
        throw invalidRequest("last4: does not match the key's last four characters");
      // a format without an environment segment leaves it to the record, as for a minted key.
      if (
        parsed.environment !== undefined &&
        input.environment !== undefined &&
        input.environment !== parsed.environment
      )
        throw invalidRequest(`environment: the key is a ${parsed.environment} key`);
      return { hash: hashKey(input.key), last4, environment: parsed.environment ?? input.environment ?? 'live' };
    }
    const sha256 = input.sha256 as string;
    if (!SHA256_HEX.test(sha256)) throw invalidRequest('sha256: must be 64 lowercase hex characters');
    if (input.last4 === undefined)
      throw invalidRequest('last4: required with sha256, for telling the key apart in listings');
    return { hash: sha256, last4: input.last4, environment: input.environment ?? 'live' };
  }
}

/**
 * Refuses instants that cannot be true of a key brought in at `now`: created or used in the
 * future, or expired already (an expired key would only be refused by the authorizer; importing
 * it is refused instead, so a migration's report names it).
 */
function assertInstants(input: ImportKeyInput, now: Date): void {
  const at = now.getTime();
  if (input.expiresAt !== undefined && Date.parse(input.expiresAt) <= at)
    throw invalidRequest('expiresAt: the key has expired already; leave it out of the import');
  if (input.createdAt !== undefined && Date.parse(input.createdAt) > at)
    throw invalidRequest('createdAt: must not be in the future');
  if (input.lastUsedAt !== undefined && Date.parse(input.lastUsedAt) > at)
    throw invalidRequest('lastUsedAt: must not be in the future');
}

/** The item of an imported key: a minted key's, with the hash and instants it arrived with. */
function importedItem(
  tenant: Tenant,
  input: ImportKeyInput,
  arrival: Arrival,
  role: Role,
  now: Date,
  createdBy: string,
): KeyItem {
  return {
    id: keyIdFromHash(arrival.hash),
    tenantId: tenant.tenantId,
    hash: arrival.hash,
    name: input.name,
    environment: arrival.environment,
    role,
    status: 'active',
    last4: arrival.last4,
    createdAt: new Date(input.createdAt ?? now).toISOString(),
    expiresAt: input.expiresAt === undefined ? null : new Date(input.expiresAt).toISOString(),
    lastUsedAt: input.lastUsedAt === undefined ? null : new Date(input.lastUsedAt).toISOString(),
    ...(input.meta === undefined || Object.keys(input.meta).length === 0 ? {} : { meta: input.meta }),
    createdBy,
    ...snapshotOf(tenant, arrival.environment),
  };
}
