import { forbidden, invalidRequest } from '../http/errors';
import { parseScopes, ScopeError, scopesCover, type Scope } from '../auth/scopes';
import type { AuthorizerContext } from '../model';
import type { KeyStore } from '../store/store';
import { owningRole } from './owner-guard';

/*
 * Who may give a key which scopes: a key never hands out more than it has, and only the
 * tenant's owning role widens a key's scopes (or takes them away); anyone who may change a key
 * may narrow them.
 */

/**
 * The calling key's scopes, read from its item when the authorizer said it has some (`scoped`):
 * `undefined` when it has none (the whole API), or when the operator acts for a tenant. A key
 * said to be scoped whose item cannot be read is refused rather than taken as unscoped.
 */
export async function callerScopes(
  store: Pick<KeyStore, 'getKey'>,
  caller: AuthorizerContext,
): Promise<Scope[] | undefined> {
  if (caller.onBehalfOf !== undefined || caller.scoped !== 'true') return undefined;
  const own = await store.getKey(caller.keyId);
  if (own === undefined) throw forbidden('the calling key no longer exists');
  if (own.scopes === undefined || own.scopes.length === 0) return undefined;
  return parseScopes(own.scopes);
}

/**
 * The scopes a new key gets: those asked for, which a scoped caller must hold itself; none asked
 * for by a scoped caller gives the new key the caller's own (never the whole API).
 *
 * @throws ApiError `invalid_request` for a malformed scope, `forbidden` for a wider one.
 */
export function createdScopes(
  caller: readonly Scope[] | undefined,
  asked: readonly string[] | undefined,
): readonly string[] | undefined {
  if (asked === undefined) return caller?.map((scope) => scope.text);
  const scopes = validated(asked);
  if (caller !== undefined && !scopesCover(caller, scopes)) throw forbidden(wider('the calling key', caller));
  return asked;
}

/**
 * The scopes a key is changed to (`null`: none), if the caller may: within the caller's own, and
 * within the key's current ones unless the caller has the tenant's owning role.
 *
 * @throws ApiError `invalid_request` for a malformed scope, `forbidden` for a widening not allowed.
 */
export function scopesAfterChange(
  caller: AuthorizerContext,
  own: readonly Scope[] | undefined,
  current: readonly string[] | undefined,
  asked: readonly string[] | null,
): readonly string[] | null {
  const scopes = asked === null ? undefined : validated(asked);
  if (own !== undefined && (scopes === undefined || !scopesCover(own, scopes))) {
    throw forbidden(wider('the calling key', own));
  }
  const was = current === undefined || current.length === 0 ? undefined : parseScopes(current);
  if (caller.role !== owningRole(caller.tenantId) && was !== undefined) {
    if (scopes === undefined || !scopesCover(was, scopes)) throw forbidden(wider('the key', was));
  }
  return asked;
}

/**
 * Refuses a caller with scopes an act that hands out a key reaching `scopes` (`undefined`: the
 * whole API) beyond its own: a rotation answers the new key's plaintext.
 *
 * @throws ApiError `forbidden`.
 */
export function assertWithinCaller(own: readonly Scope[] | undefined, scopes: readonly string[] | undefined): void {
  if (own === undefined) return;
  if (scopes === undefined || scopes.length === 0 || !scopesCover(own, parseScopes(scopes))) {
    throw forbidden(wider('the calling key', own));
  }
}

function validated(scopes: readonly string[]): Scope[] {
  try {
    return parseScopes(scopes);
  } catch (error) {
    if (error instanceof ScopeError) throw invalidRequest(`scopes: ${error.message}`);
    throw error;
  }
}

function wider(whose: string, scopes: readonly Scope[]): string {
  return `scopes: only ${whose}'s scopes or narrower ones (${scopes.map((scope) => scope.text).join(', ')}) may be given by this key`;
}
