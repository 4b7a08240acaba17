import { flushAfterWrite, type AuthorizerCacheFlusher } from '../auth/cache';
import type { Clock } from '../support/clock';
import { keyEvent } from '../events/changes';
import type { Actor, KeygateEvent } from '../events/model';
import { hashKey, hashesEqual, keyIdFromHash, parseKey, parseKeyIn, type KeyFormat } from '../keys/format';
import type { Logger } from '../support/logger';
import type { KeyItem } from '../model';

/** What to do with a key found leaked (setting `keygate:onLeak`). */
export type LeakPolicy = 'revoke' | 'notify';
/** The policies, for settings validation. */
export const LEAK_POLICIES: readonly LeakPolicy[] = ['revoke', 'notify'];

/**
 * Reads the leak policy from a setting; absent or empty is `revoke`.
 *
 * @throws Error naming the setting and the value received, for anything else.
 */
export function leakPolicyFrom(value: unknown, setting: string): LeakPolicy {
  if (value === undefined || value === null || value === '') return 'revoke';
  if (typeof value === 'string' && (LEAK_POLICIES as readonly string[]).includes(value)) return value as LeakPolicy;
  throw new Error(`${setting} must be one of ${LEAK_POLICIES.join(', ')}, received ${JSON.stringify(value)}`);
}

/** Where a leak was seen. */
export interface LeakSighting {
  readonly url?: string;
  /** e.g. `content`, `commit`, `issue`, or `operator`. */
  readonly source?: string;
}

/** The store side of a leak: one conditional write that marks the key (and revokes it) with its event. */
export interface LeakStore {
  getKey(id: string): Promise<KeyItem | undefined>;
  /**
   * Marks a key leaked (and, with `revoke`, revoked) in one transaction with `event`, if its
   * hash is `hash` and it is active (an earlier leak does not matter) or was never marked.
   *
   * @returns whether this call wrote: `false` for a key revoked after an earlier leak.
   */
  markLeaked(id: string, hash: string, revoke: boolean, at: Date, event: KeygateEvent): Promise<boolean>;
}

/** What a report came to. */
export interface LeakOutcome {
  readonly label: 'true_positive' | 'false_positive';
  /** For a keygate key: which one, and what was done now (`already_reported` for a key revoked after an earlier leak). */
  readonly keyId?: string;
  readonly tenantId?: string;
  readonly action?: 'revoked' | 'notified' | 'already_reported';
}

/** What {@link LeakService} needs. */
export interface LeakServiceDeps {
  readonly store: LeakStore;
  readonly prefix: string;
  /** The formats a key may have, the current one first. @default - the default format under `prefix` */
  readonly formats?: readonly KeyFormat[];
  readonly policy: LeakPolicy;
  readonly clock: Clock;
  readonly cache: AuthorizerCacheFlusher;
  readonly logger: Logger;
}

/**
 * Leak response. A token that is not of keygate's shape or whose checksum is wrong is a false
 * positive without any read; one whose hash names no key is a false positive after one read; a
 * keygate key is revoked (policy `revoke`) or left working (`notify`), and `key.leaked` is
 * written with it, on every report that finds the key active: a leaked key enabled again is
 * stopped again by the next report, and under `notify` each report of the working key is an
 * event. A report of a key revoked after an earlier leak changes nothing and writes no event.
 *
 * Enabling a leaked key stays allowed to whoever may enable the key (they judge the leak
 * harmless); the log shows `key.enabled` after `key.leaked`.
 *
 * A leaked owner key is revoked even when it is the tenant's last: a key known to be public is
 * worse than a tenant that must ask the operator for a new owner key.
 */
export class LeakService {
  constructor(private readonly deps: LeakServiceDeps) {}

  async report(token: string, sighting: LeakSighting, actor: Actor): Promise<LeakOutcome> {
    const parsed =
      this.deps.formats === undefined ? parseKey(token, this.deps.prefix) : parseKeyIn(token, this.deps.formats);
    if (parsed === undefined) return { label: 'false_positive' };
    const hash = hashKey(parsed.key);
    const key = await this.deps.store.getKey(keyIdFromHash(hash));
    if (key === undefined || !hashesEqual(key.hash, hash)) return { label: 'false_positive' };
    const now = this.deps.clock();
    const revoke = this.deps.policy === 'revoke';
    const action = revoke ? 'revoked' : 'notified';
    const details = {
      ...(sighting.url === undefined ? {} : { url: sighting.url }),
      ...(sighting.source === undefined ? {} : { source: sighting.source }),
      action,
      policy: this.deps.policy,
    };
    const wrote = await this.deps.store.markLeaked(
      key.id,
      hash,
      revoke,
      now,
      keyEvent('key.leaked', actor, key, now, details),
    );
    const found = { label: 'true_positive' as const, keyId: key.id, tenantId: key.tenantId };
    if (!wrote) return { ...found, action: 'already_reported' };
    this.deps.logger.warn('key leaked', {
      keyId: key.id,
      tenantId: key.tenantId,
      action,
      ...(sighting.url === undefined ? {} : { url: sighting.url }),
    });
    if (revoke) await flushAfterWrite(this.deps.cache, this.deps.logger);
    return { ...found, action };
  }
}
