import type { Expiry, ExpiryDays } from './expiry';
import { mintKey, mintKeyIn, type Environment, type KeyFormat, type Role } from './format';
import { snapshotOf, type KeyItem, type Tenant } from '../model';

/** What a new key is made of, besides its secret. */
export interface NewKeySpec {
  readonly prefix: string;
  /** How new keys are spelled. @default - the default format under `prefix` */
  readonly keyFormat?: KeyFormat;
  readonly tenant: Tenant;
  readonly name: string;
  readonly environment: Environment;
  readonly role: Role;
  readonly expiry: Expiry;
  /** Kept on the item so rotation can repeat the policy. */
  readonly expiresInDays?: ExpiryDays;
  readonly now: Date;
  readonly rotatedFrom?: string;
  readonly meta?: Readonly<Record<string, string>>;
  /** The creating key's id, or `operator`. */
  readonly createdBy?: string;
  /** The key's scopes, validated; none for the whole API. */
  readonly scopes?: readonly string[];
}

/**
 * Mints a key and builds its item, with the tenant's status, plan and usage identifier copied
 * on for the authorizer's single read.
 *
 * @returns the item to store and the plaintext to show once.
 */
export function buildKey(spec: NewKeySpec): { item: KeyItem; plaintext: string } {
  const minted =
    spec.keyFormat === undefined ? mintKey(spec.prefix, spec.environment) : mintKeyIn(spec.keyFormat, spec.environment);
  const item: KeyItem = {
    id: minted.id,
    tenantId: spec.tenant.tenantId,
    hash: minted.hash,
    name: spec.name,
    environment: spec.environment,
    role: spec.role,
    status: 'active',
    last4: minted.last4,
    createdAt: spec.now.toISOString(),
    expiresAt: spec.expiry.expiresAt,
    lastUsedAt: null,
    ...(spec.expiresInDays === undefined ? {} : { expiresInDays: spec.expiresInDays }),
    ...(spec.rotatedFrom === undefined ? {} : { rotatedFrom: spec.rotatedFrom }),
    ...(spec.meta === undefined || Object.keys(spec.meta).length === 0 ? {} : { meta: spec.meta }),
    ...(spec.createdBy === undefined ? {} : { createdBy: spec.createdBy }),
    ...(spec.scopes === undefined || spec.scopes.length === 0 ? {} : { scopes: [...spec.scopes] }),
    ...snapshotOf(spec.tenant, spec.environment),
  };
  return { item, plaintext: minted.plaintext };
}
