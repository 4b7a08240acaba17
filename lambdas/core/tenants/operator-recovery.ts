import type { KeyFormat } from '../keys/format';
import { ADMIN_CLI, keyDetails, keyEvent } from '../events/changes';
import { expiryAt } from '../keys/expiry';
import { buildKey } from '../keys/new-key';
import { isLastingOwner, OPERATOR_TENANT_ID } from '../keys/owner-guard';
import { toKeyRecord, type KeyItem, type KeyRecord } from '../model';
import { TenantChangedError, type KeyStore } from '../store/store';
import type { Clock } from '../support/clock';

/** What `createdBy` says on a key the recovery mints: the system actor that made it. */
export const RECOVERY_CREATOR = 'admin-cli';

/** What {@link recoverOperator} needs: the store (direct table access, never the HTTP API). */
export interface OperatorRecoveryDeps {
  readonly store: KeyStore;
  readonly clock: Clock;
  /** The deployment's key prefix (the stack's `KeyPrefix` output). */
  readonly prefix: string;
  /** How new keys are spelled. @default - the default format under `prefix` */
  readonly keyFormat?: KeyFormat;
}

/** A refusal of the recovery; its message says why and what to do instead. */
export class RecoveryRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecoveryRefusedError';
  }
}

/** The new operator key, with its plaintext shown once, and the usable keys it was minted beside. */
export interface RecoveredOperator {
  readonly key: KeyRecord & { readonly key: string };
  /** The ids of the operator keys that were usable when it was minted (only with `force`). */
  readonly usable: readonly string[];
}

/** How many times the key write is tried against a tenant that keeps changing under it. */
const ATTEMPTS = 3;

/**
 * Mints a new `live` `operator` key that never expires for an operator tenant that exists but
 * has no usable operator key (all revoked, expired, rotated out or deleted), so that nobody is
 * locked out of the panel for good. It runs with direct table access, which only whoever holds
 * the deployment's AWS credentials has. The `key.created` event, in the key's own transaction,
 * names the recovery: actor `{ system: "admin-cli" }`, `details.recovery: "recover-operator"`.
 *
 * @param force - mint even though a usable operator key exists (one that is lost or leaked).
 * @throws RecoveryRefusedError when there is no operator tenant (create it instead), or when a
 * usable operator key exists and `force` is not set.
 */
export async function recoverOperator(deps: OperatorRecoveryDeps, force = false): Promise<RecoveredOperator> {
  for (let attempt = 1; ; attempt += 1) {
    const tenant = await deps.store.getTenant(OPERATOR_TENANT_ID);
    if (tenant === undefined)
      throw new RecoveryRefusedError('there is no operator tenant to recover: run create-operator-key instead');
    const now = deps.clock();
    const usable = (await usableOperatorKeys(deps.store, now)).map((key) => key.id);
    if (usable.length > 0 && !force)
      throw new RecoveryRefusedError(
        `the operator tenant has a usable operator key (${usable.join(', ')}): use it, or pass --force ` +
          'to mint another anyway (for a key that is lost or leaked; revoke it afterwards)',
      );
    const { item, plaintext } = buildKey({
      prefix: deps.prefix,
      keyFormat: deps.keyFormat,
      tenant,
      name: 'recovered operator',
      environment: 'live',
      role: 'operator',
      expiry: expiryAt(null),
      now,
      createdBy: RECOVERY_CREATOR,
    });
    const event = keyEvent('key.created', ADMIN_CLI, item, now, {
      ...keyDetails(item),
      recovery: 'recover-operator',
      usableOperatorKeys: usable,
    });
    try {
      await deps.store.createKey(item, event);
      return { key: { ...toKeyRecord(item, now), key: plaintext }, usable };
    } catch (error) {
      // the tenant changed since it was read (a plan applied): mint against the fresh copy.
      if (!(error instanceof TenantChangedError) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/** The operator tenant's operator keys that work and own it at `now`, read consistently. */
async function usableOperatorKeys(store: KeyStore, now: Date): Promise<KeyItem[]> {
  const found: KeyItem[] = [];
  for (const id of await store.ownerKeyIds(OPERATOR_TENANT_ID)) {
    const key = await store.getKey(id);
    if (key?.tenantId === OPERATOR_TENANT_ID && key.environment === 'live' && isLastingOwner(key, now)) found.push(key);
  }
  return found;
}
