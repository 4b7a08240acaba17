import { corsHeaders, preflightHeaders, preflightResources } from '../../lambdas/core/http/cors';
import { matchRoute } from '../router';

/** The local gateway's CORS: the allowed origins and the resources whose preflights it answers. */
export class LocalCors {
  private readonly preflights: { method: 'OPTIONS'; path: string; methods: string[] }[];

  /**
   * @param origins - `keygate:corsOrigins`.
   * @param routes - the routes that get preflights: keygate's own, as the stack adds them.
   */
  constructor(
    private readonly origins: readonly string[],
    routes: readonly { readonly method: string; readonly path: string; readonly auth?: string }[],
  ) {
    this.preflights = [...preflightResources(routes)].map(([path, methods]) => ({ method: 'OPTIONS', path, methods }));
  }

  /**
   * The answer to an `OPTIONS` request on a resource with a preflight, as the stack's mock
   * integration gives it: 204 without a key; `undefined` for any other request or resource.
   */
  preflight(method: string, path: string, origin: string | undefined): Record<string, string> | undefined {
    if (method !== 'OPTIONS') return undefined;
    const match = matchRoute(this.preflights, method, path);
    return match.kind === 'matched' ? preflightHeaders(this.origins, origin, match.route.methods) : undefined;
  }

  /** The headers the gateway's own answers carry for a request from `origin`, as the stack's gateway responses do. */
  gatewayHeaders(origin: string | undefined): Record<string, string> {
    return corsHeaders(this.origins, origin);
  }
}
