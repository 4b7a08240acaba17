import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { AuthorizerCache } from './authorizer-cache';

/** A TOKEN authorizer as the local gateway calls it. */
export type TokenAuthorizer = (event: APIGatewayTokenAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;

/** A TOKEN authorizer as API Gateway has it configured: its function and its identity validation. */
export interface GatewayAuthorizer {
  readonly authorizer: TokenAuthorizer;
  /** API Gateway's `identityValidationExpression`: tokens that do not match never reach the authorizer. */
  readonly identityValidation: RegExp;
}

/** What authorizing a request came to. */
export type AuthorizerOutcome =
  | {
      readonly kind: 'allowed';
      readonly result: APIGatewayAuthorizerResult;
      /** How long the authorizer took; 0 when the answer came from the cache. */
      readonly latencyMs: number;
    }
  /** No token, a token of the wrong shape, or the authorizer's `Unauthorized`: a 401. */
  | { readonly kind: 'unauthorized' }
  /** The authorizer failed otherwise: API Gateway's `AUTHORIZER_FAILURE`. */
  | { readonly kind: 'failed' };

/**
 * One authorizer of the local gateway with its own result cache, as API Gateway keeps one per
 * authorizer: identity validation first, then the cached answer for the token, else the
 * authorizer's answer, cached unless a flush came while it was computed. An answer cached by
 * one authorizer is never served for another's methods: keygate's own routes and the keys-only
 * front door each have theirs.
 */
export class LocalAuthorizer {
  private readonly cache: AuthorizerCache<APIGatewayAuthorizerResult>;

  /**
   * @param ttlMs - how long an answer is cached per token; 0 disables caching.
   * @param now - the clock, in epoch milliseconds.
   */
  constructor(
    private readonly config: GatewayAuthorizer,
    ttlMs: number,
    now: () => number,
  ) {
    this.cache = new AuthorizerCache<APIGatewayAuthorizerResult>(ttlMs, now);
  }

  /** Authorizes an `Authorization` value for a method ARN. */
  async authorize(token: string | undefined, methodArn: string): Promise<AuthorizerOutcome> {
    if (token === undefined || !this.config.identityValidation.test(token)) return { kind: 'unauthorized' };
    const cached = this.cache.get(token);
    if (cached !== undefined) return { kind: 'allowed', result: cached, latencyMs: 0 };
    // an answer computed before a flush that lands while it is in flight must not be cached.
    const ticket = this.cache.ticket();
    const calledAt = performance.now();
    let result: APIGatewayAuthorizerResult;
    try {
      result = await this.config.authorizer({ type: 'TOKEN', authorizationToken: token, methodArn });
    } catch (error) {
      const unauthorized = error instanceof Error && error.message === 'Unauthorized';
      return unauthorized ? { kind: 'unauthorized' } : { kind: 'failed' };
    }
    const latencyMs = Math.round(performance.now() - calledAt);
    this.cache.set(token, result, ticket);
    return { kind: 'allowed', result, latencyMs };
  }

  /** Empties the cache, as `FlushStageAuthorizersCache` does. */
  flush(): void {
    this.cache.flush();
  }

  /** Flushes the cache at a given time, in epoch milliseconds. */
  flushAt(at: number): void {
    this.cache.flushAt(at);
  }
}
