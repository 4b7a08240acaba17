import { describeError, type Logger } from './logger';

/**
 * Empties the authorizer's result cache so that a revoked, deleted, rotated-out or suspended key
 * is refused on the very next request. In AWS: `FlushStageAuthorizersCache`; locally: the local
 * gateway's own cache.
 */
export interface AuthorizerCacheFlusher {
  flush(): Promise<void>;
}

/**
 * Flushes after a write that has already happened: a failed flush must not turn that write into
 * an error, so it is logged, and the cache then expires on its own TTL.
 */
export async function flushAfterWrite(cache: AuthorizerCacheFlusher, logger: Logger): Promise<void> {
  try {
    await cache.flush();
  } catch (error) {
    logger.error('authorizer cache flush failed', describeError(error));
  }
}

/** For deployments with caching off, and for tests that do not look at caching. */
export const noCache: AuthorizerCacheFlusher = { flush: async () => undefined };
