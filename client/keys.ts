import type { KeygateError } from './errors';
import { eachItem } from './pages';
import { Transport, type CreateOptions, type RequestOptions } from './transport';
import type {
  CreatedKey,
  CreateKeyInput,
  KeyPage,
  KeyRecord,
  KeyUsage,
  ListKeysQuery,
  RotateKeyInput,
  UpdateKeyInput,
  UsageQuery,
} from './types';

/**
 * The key routes, wherever they are mounted: the tenant's own `/v1/keys`, or the operator's
 * `/v1/panel/tenants/{tenantId}/keys` (same rules, same answers).
 *
 * Retries: reads, renames and updates are repeated freely; creations and rotations only under an
 * `Idempotency-Key` (sent by default); revoke, enable and delete converge: if an attempt may have
 * taken effect unseen (no answer, or a 5xx) and the retry is refused because it has (409 "already
 * revoked", 404 after a delete), the call succeeds once a read confirms the state.
 */
export class Keys {
  /** @internal */
  constructor(
    private readonly transport: Transport,
    private readonly base: string,
  ) {}

  /**
   * Creates a key; the answer carries its plaintext `key`, once: store it now.
   * @throws KeygateReplayError when the answer is a replay (the plaintext is gone).
   */
  create(input: CreateKeyInput, options?: CreateOptions): Promise<CreatedKey> {
    return this.transport.send({
      method: 'POST',
      path: this.base,
      body: input,
      safety: { kind: 'idempotency-key' },
      ...withOptions(options),
      plaintext: (body) => body,
    });
  }

  /** One page of keys, newest first; never a hash or plaintext. */
  list(query: ListKeysQuery = {}, options?: RequestOptions): Promise<KeyPage> {
    return this.transport.send({
      method: 'GET',
      path: this.base,
      query: { ...query },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** Every key, newest first, fetching pages of `query.limit` (default 20) as the loop goes. */
  listAll(
    query: Omit<ListKeysQuery, 'cursor'> = {},
    options?: RequestOptions,
  ): AsyncGenerator<KeyRecord, void, undefined> {
    return eachItem<KeyRecord, ListKeysQuery>(query, (page) => this.list(page, options));
  }

  /** One key; `not_found` for another tenant's key as for a missing one. */
  get(id: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.transport.send({
      method: 'GET',
      path: this.one(id),
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** A key's requests, refusals, throttles and sources over a window (default: the last 24 hours by hour). */
  usage(id: string, query: UsageQuery = {}, options?: RequestOptions): Promise<KeyUsage> {
    return this.transport.send({
      method: 'GET',
      path: `${this.one(id)}/usage`,
      query: { ...query },
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** Renames a key. */
  rename(id: string, name: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.update(id, { name }, options);
  }

  /** Changes a key's name, its metadata (`{}` clears it), its scopes (`null` takes them away), or several. */
  update(id: string, changes: UpdateKeyInput, options?: RequestOptions): Promise<KeyRecord> {
    return this.transport.send({
      method: 'PATCH',
      path: this.one(id),
      body: changes,
      safety: { kind: 'idempotent' },
      ...withOptions(options),
    });
  }

  /** Revokes a key: refused from the very next request on; {@link enable} undoes it. */
  revoke(id: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.transport.send({
      method: 'POST',
      path: `${this.one(id)}/revoke`,
      safety: this.converging(id, (key) => key.status === 'revoked', options),
      ...withOptions(options),
    });
  }

  /** Enables a revoked key again. */
  enable(id: string, options?: RequestOptions): Promise<KeyRecord> {
    return this.transport.send({
      method: 'POST',
      path: `${this.one(id)}/enable`,
      safety: this.converging(id, (key) => key.status !== 'revoked', options),
      ...withOptions(options),
    });
  }

  /** Deletes a key for good. */
  delete(id: string, options?: RequestOptions): Promise<void> {
    return this.transport.send<void>({
      method: 'DELETE',
      path: this.one(id),
      // the desired state is "no such key": a 404 after an unseen success is that state.
      safety: {
        kind: 'converges',
        settle: async (refusal) => (refusal.code === 'not_found' ? { value: undefined } : undefined),
      },
      ...withOptions(options),
    });
  }

  /**
   * Replaces a key with a new one of the same name, role, environment and expiry policy; the
   * old key stops at once, or after `gracePeriodHours` (at most 168). The answer is the new key
   * with its plaintext, once.
   * @throws KeygateReplayError when the answer is a replay (the plaintext is gone).
   */
  rotate(id: string, input: RotateKeyInput = {}, options?: CreateOptions): Promise<CreatedKey> {
    return this.transport.send({
      method: 'POST',
      path: `${this.one(id)}/rotate`,
      body: input,
      safety: { kind: 'idempotency-key' },
      ...withOptions(options),
      plaintext: (body) => body,
    });
  }

  private one(id: string): string {
    return `${this.base}/${Transport.segment(id)}`;
  }

  private converging(id: string, done: (key: KeyRecord) => boolean, options: RequestOptions | undefined) {
    return {
      kind: 'converges' as const,
      settle: async (refusal: KeygateError): Promise<{ value: KeyRecord } | undefined> => {
        if (refusal.code !== 'conflict') return undefined;
        const key = await this.get(id, options);
        return done(key) ? { value: key } : undefined;
      },
    };
  }
}

/** Spreads `options` into a call only when given (exactOptionalPropertyTypes-friendly). */
export function withOptions(options: CreateOptions | undefined): { options?: CreateOptions } {
  return options === undefined ? {} : { options };
}
