import { ENVIRONMENTS, ROLES, type Environment, type Role } from '../keys/format';
import { routeDenials, type RouteRoles } from './route-policy';
import type { Scope } from './scopes';
import type { WorkspaceResources } from './workspaces';

/** An IAM policy statement as API Gateway's authorizer contract has it. */
export interface PolicyStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: string[];
}

/** An IAM policy document returned by a TOKEN authorizer. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/** Routes that change keys; `read_only` keys are denied them in the policy itself. */
export const KEY_MUTATIONS: readonly string[] = [
  'POST/v1/keys',
  'POST/v1/keys/*',
  'PATCH/v1/keys/*',
  'DELETE/v1/keys/*',
];
/** The operator panel; only live `operator` keys are allowed there. */
export const PANEL_ROUTES: readonly string[] = ['*/v1/panel', '*/v1/panel/*'];

/**
 * keygate's own routes, as a scoped key is allowed them (its role still decides, by the Deny
 * statements): each method named, since a `*` method could stand for leading segments of a route
 * of yours (`*\/v1/keys` matches `GET/x/v1/keys`).
 */
export const KEYGATE_ALLOWS: readonly string[] = [
  'GET/v1/me',
  'GET/v1/usage',
  'GET/v1/events',
  'GET/v1/keys',
  'POST/v1/keys',
  'GET/v1/keys/*',
  'POST/v1/keys/*',
  'PATCH/v1/keys/*',
  'DELETE/v1/keys/*',
  'GET/v1/panel/*',
  'POST/v1/panel/*',
  'PUT/v1/panel/*',
  'PATCH/v1/panel/*',
  'DELETE/v1/panel/*',
];

/**
 * The `arn:...:<apiId>/<stage>` part of a method ARN
 * (`arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<method>/<path>`).
 *
 * @throws Error when the ARN does not have that shape.
 */
export function stageArn(methodArn: string): string {
  // index scans rather than split(): this runs on every authorization, and splitting allocates.
  const first = methodArn.indexOf('/');
  const second = first === -1 ? -1 : methodArn.indexOf('/', first + 1);
  if (second === -1 || !methodArn.startsWith('arn:') || colons(methodArn, first) !== 5) {
    throw new Error('methodArn is not an execute-api method ARN');
  }
  return methodArn.slice(0, second);
}

/**
 * The REST API id of an execute-api method ARN (`arn:aws:execute-api:<region>:<account>:<apiId>/...`).
 *
 * @throws Error when `methodArn` is not an execute-api method ARN.
 */
export function apiIdOf(methodArn: string): string {
  const stage = stageArn(methodArn);
  return stage.slice(stage.lastIndexOf(':') + 1, stage.indexOf('/'));
}

/** How many `:` come before `end`. */
function colons(text: string, end: number): number {
  let count = 0;
  for (let at = text.indexOf(':'); at !== -1 && at < end; at = text.indexOf(':', at + 1)) count += 1;
  return count;
}

/**
 * The policy for an authorized key: Allow on the whole API (`<stage>/*\/*`, so that one cached
 * policy serves every route), with explicit Deny statements, which beat any Allow, for what the
 * role may not do. The panel acts on live tenants, so only a live `operator` key gets it: a test
 * key must never reach live data, whatever its role. Routes added with roles (`routeRules`) are
 * denied to every other role in the same policy, so one cached policy still serves every route.
 * A key with `scopes` is allowed only those, and keygate's own routes ({@link KEYGATE_ALLOWS}),
 * in place of the whole API; the same Deny statements apply. With a workspace rule
 * (`workspaces`, from `./workspaces`), its resources take the place of the scopes and of the
 * whole API beside keygate's own routes.
 */
export function policyFor(
  methodArn: string,
  role: Role,
  environment: Environment,
  routeRules: readonly RouteRoles[] = [],
  scopes: readonly Scope[] = [],
  workspaces?: WorkspaceResources,
): PolicyDocument {
  return stagePolicy(stageArn(methodArn), role, environment, routeRules, scopes, workspaces);
}

function stagePolicy(
  base: string,
  role: Role,
  environment: Environment,
  routeRules: readonly RouteRoles[],
  scopes: readonly Scope[] = [],
  workspaces?: WorkspaceResources,
): PolicyDocument {
  const panelAllowed = role === 'operator' && environment === 'live';
  const denied = [
    ...(role === 'read_only' ? KEY_MUTATIONS : []),
    ...(panelAllowed ? [] : PANEL_ROUTES),
    ...routeDenials(routeRules, role),
    ...(workspaces?.deny ?? []),
  ];
  const allowed =
    workspaces !== undefined
      ? [...KEYGATE_ALLOWS, ...workspaces.allow]
      : scopes.length === 0
        ? ['*/*']
        : [...KEYGATE_ALLOWS, ...scopes.map((scope) => scope.resource)];
  const Statement: PolicyStatement[] = [
    { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: allowed.map((route) => `${base}/${route}`) },
  ];
  if (denied.length > 0) {
    Statement.push({
      Action: 'execute-api:Invoke',
      Effect: 'Deny',
      Resource: denied.map((route) => `${base}/${route}`),
    });
  }
  return { Version: '2012-10-17', Statement };
}

/**
 * {@link policyFor}, built once per stage, role and environment and then shared: a policy
 * depends on nothing else (not on the tenant, the key or the route called), and building it was
 * a tenth of a warm authorization. The shared documents are frozen, so no caller can change
 * what another key is answered. Bounded: past `maxStages` stages the cache starts over.
 */
export class PolicyCache {
  private readonly stages = new Map<string, StagePolicies>();
  private last: StagePolicies | undefined;

  /**
   * @param routeRules - the route rules every policy of this cache carries; not to be changed
   *   afterwards (they are read once per cached policy).
   */
  constructor(
    private readonly routeRules: readonly RouteRoles[] = [],
    private readonly maxStages = 100,
  ) {}

  /** The same document {@link policyFor} builds, frozen. */
  policyFor(methodArn: string, role: Role, environment: Environment): PolicyDocument {
    const roleIndex = ROLES.indexOf(role);
    const environmentIndex = ENVIRONMENTS.indexOf(environment);
    // junk from a bad item is answered as before and never cached.
    if (roleIndex === -1 || environmentIndex === -1) return policyFor(methodArn, role, environment, this.routeRules);
    const stage = this.stage(methodArn);
    const slot = roleIndex * ENVIRONMENTS.length + environmentIndex;
    return (stage.policies[slot] ??= frozen(stagePolicy(stage.base, role, environment, this.routeRules)));
  }

  private stage(methodArn: string): StagePolicies {
    const last = this.last;
    // calls come from one stage, mostly: when the ARN continues the last stage's own `arn…/<stage>`
    // with a `/`, that is its stage (a checked one), with no parsing and no lookup.
    if (last !== undefined && methodArn.charCodeAt(last.base.length) === SLASH && methodArn.startsWith(last.base))
      return last;
    const base = stageArn(methodArn);
    let stage = this.stages.get(base);
    if (stage === undefined) {
      if (this.stages.size >= this.maxStages) this.stages.clear();
      stage = { base, policies: [] };
      this.stages.set(base, stage);
    }
    this.last = stage;
    return stage;
  }
}

/** One stage's policies, by role and environment (`role × environments + environment`). */
interface StagePolicies {
  readonly base: string;
  readonly policies: (PolicyDocument | undefined)[];
}

const SLASH = 0x2f;

function frozen(policy: PolicyDocument): PolicyDocument {
  for (const statement of policy.Statement) {
    Object.freeze(statement.Resource);
    Object.freeze(statement);
  }
  Object.freeze(policy.Statement);
  return Object.freeze(policy);
}
