import * as path from 'node:path';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Construct } from 'constructs';
import { assertValidRoute, type KeygateRoute } from '../lambdas/core/auth/route-policy';
import type { KeyAuthorizer } from './key-authorizer';
import type { KeyTable } from './key-table';
import { KeygateFunction, type TableAccess } from './keygate-function';

export type { KeygateRoute };

/** Properties of {@link KeygateRoutes}. */
export interface KeygateRoutesProps {
  /** The API the routes are added to. */
  readonly api: apigateway.RestApi;
  /** The authorizer every route is behind (its keys-only one); it also carries the routes' role rules. */
  readonly keyAuthorizer: KeyAuthorizer;
  /**
   * The API Gateway authorizer of the routes: a session token must never pass it.
   *
   * @default - `keyAuthorizer.keysOnlyAuthorizerFor(api)`
   */
  readonly authorizer?: apigateway.IAuthorizer;
  /**
   * The key table, for routes that ask for `tableAccess`.
   *
   * @default - routes cannot ask for table access
   */
  readonly table?: KeyTable;
}

/** What {@link KeygateRoutes.addRoute} built. */
export interface AddedRoute {
  readonly method: apigateway.Method;
  readonly function: KeygateFunction;
}

/**
 * Your own Lambda routes behind keygate: every method gets the keys-only key authorizer and
 * `apiKeyRequired` (so the tenant's usage plan applies), every function keygate's defaults
 * (`KeygateFunction`: Node 22 on ARM64, its own log group, least privilege, cdk-nag clean), and
 * a route's roles become Deny statements in the authorizer's cached policy.
 */
export class KeygateRoutes extends Construct {
  private readonly functions = new Map<string, KeygateFunction>();
  private readonly integrations = new Map<KeygateFunction, apigateway.LambdaIntegration>();
  private readonly tableAccess = new Map<KeygateFunction, TableAccess>();

  constructor(
    scope: Construct,
    id: string,
    private readonly props: KeygateRoutesProps,
  ) {
    super(scope, id);
  }

  /**
   * Adds `method path`, served by the function at `route.entry` (one function per entry, shared
   * by its routes).
   *
   * @throws Error when the route is not valid, names a reserved path, or asks for table access without a table.
   */
  addRoute(route: KeygateRoute): AddedRoute {
    assertValidRoute(route);
    const fn = this.functionFor(route);
    let integration = this.integrations.get(fn);
    if (integration === undefined) {
      // one permission per function for the whole API, as keygate's own routes do.
      integration = new apigateway.LambdaIntegration(fn, { scopePermissionToMethod: false });
      this.integrations.set(fn, integration);
    }
    const method = this.props.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
      authorizer: this.props.authorizer ?? this.props.keyAuthorizer.keysOnlyAuthorizerFor(this.props.api),
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      // without it the tenant's usage plan, and so its rate limit, would not apply.
      apiKeyRequired: true,
    });
    if (route.roles !== undefined)
      this.props.keyAuthorizer.restrictRoute({ method: route.method, path: route.path, roles: route.roles });
    return { method, function: fn };
  }

  private functionFor(route: KeygateRoute): KeygateFunction {
    const entry = path.resolve(route.entry);
    let fn = this.functions.get(entry);
    if (fn === undefined) {
      let id = functionId(entry);
      for (let n = 2; this.node.tryFindChild(id) !== undefined; n += 1) id = `${functionId(entry)}${n}`;
      fn = new KeygateFunction(this, id, {
        entry,
        description: `keygate route: ${path.basename(path.dirname(entry))}`,
      });
      this.functions.set(entry, fn);
    }
    if (
      route.tableAccess !== undefined &&
      this.tableAccess.get(fn) !== 'readWrite' &&
      this.tableAccess.get(fn) !== route.tableAccess
    ) {
      if (this.props.table === undefined)
        throw new Error(`route ${route.method} ${route.path}: tableAccess needs KeygateRoutes' table`);
      fn.useTable(this.props.table, route.tableAccess);
      this.tableAccess.set(fn, route.tableAccess);
    }
    return fn;
  }
}

/** A construct id from the entry's folder and file (`orders/index.ts` → `OrdersIndexFunction`): stable across machines. */
function functionId(entry: string): string {
  const words = [path.basename(path.dirname(entry)), path.basename(entry, path.extname(entry))];
  const id = words
    .map((word) =>
      word
        .replace(/[^A-Za-z0-9]+/g, ' ')
        .trim()
        .split(' ')
        .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
        .join(''),
    )
    .join('');
  return `${id}Function`;
}
