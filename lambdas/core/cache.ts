/**
 * Empties the authorizer's result cache so that a revoked, deleted, rotated-out or suspended key
 * is refused on the very next request. In AWS: `FlushStageAuthorizersCache`; locally: the local
 * gateway's own cache.
 */
export interface AuthorizerCacheFlusher {
  flush(): Promise<void>;
}

/** For deployments with caching off, and for tests that do not look at caching. */
export const noCache: AuthorizerCacheFlusher = { flush: async () => undefined };
