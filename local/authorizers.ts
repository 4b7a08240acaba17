import { createAuthorizerHandler } from '../lambdas/authorizer/handler';
import type { AuthorizeDeps } from '../lambdas/core/auth/authorize';
import { tokenValidationPatternFor, type KeyFormat } from '../lambdas/core/keys/format';
import type { SessionReader } from '../lambdas/core/sessions/store';
import type { GatewayAuthorizer } from './gateway-authorizer';

/** What both local authorizers share, as the stack gives both functions one environment. */
export type SharedAuthorizerDeps = Omit<AuthorizeDeps, 'sessions' | 'denySuspended' | 'formats'> & {
  readonly formats: readonly KeyFormat[];
};

/**
 * The local gateway's two authorizers, as the stack deploys them (`KeyAuthorizer`): keygate's own
 * routes take keys and sessions; the front door and the added routes take keys only, refusing
 * session tokens by their shape and again in the function, and alone answer a suspended tenant's
 * key with a Deny (`denySuspended`) for the protected API's configured answer.
 */
export function localAuthorizers(
  deps: SharedAuthorizerDeps,
  sessions: SessionReader,
  denySuspended: boolean,
): GatewayAuthorizer & { readonly keysOnly: GatewayAuthorizer } {
  return {
    authorizer: createAuthorizerHandler({ ...deps, sessions }),
    identityValidation: new RegExp(tokenValidationPatternFor(deps.formats, deps.acceptBareKeys)),
    keysOnly: {
      authorizer: createAuthorizerHandler({ ...deps, denySuspended }),
      identityValidation: new RegExp(tokenValidationPatternFor(deps.formats, deps.acceptBareKeys, 'keys')),
    },
  };
}
