import { Aws, Duration, Stack, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import type { FunctionName } from '../lambdas/core/http/routes';
import { ENV } from '../lambdas/runtime/env-names';
import type { AuthorizerCacheFlush } from './authorizer-cache-flush';
import { KeygateFunction, type TableAccess } from './keygate-function';
import type { KeyTable } from './key-table';
import type { RatePlans } from './rate-plans';
import { CONFIGURED_PLANS, type KeygateSettings, keyFormatsOf } from './settings';
import { guardStackResources } from './stack-tag';

/**
 * What a route function may do on API Gateway's control plane, beyond its table access.
 * - `flushCache`: flush the stage's authorizer cache, so a revocation takes effect at once.
 * - `findPlans`: list usage plans, to find the shared plans' ids by name at cold start.
 * - `readUsage`: read a usage plan's request counts (`GetUsage`).
 * - `issueUsageKeys`: create and delete a tenant's API keys (its usage identifiers) and
 *   attach them to usage plans.
 * - `manageUsagePlans`: create, change and delete enterprise tenants' own usage plans.
 */
export type ControlPlaneAccess = 'flushCache' | 'findPlans' | 'readUsage' | 'issueUsageKeys' | 'manageUsagePlans';

/** How keygate builds the Lambda behind a {@link FunctionName}. */
export interface RouteFunctionSpec {
  /** The handler module, relative to `lambdas/`. */
  readonly entry: string;
  /** How much of the key table the function may touch. */
  readonly access: TableAccess;
  /**
   * What the function may do on API Gateway's control plane.
   *
   * @default - nothing
   */
  readonly controlPlane?: readonly ControlPlaneAccess[];
  /**
   * Whether the function rotates keys, and so schedules the flush at a grace period's end.
   *
   * @default false
   */
  readonly rotatesKeys?: boolean;
  /**
   * How long the function may run.
   *
   * @default - the house default of `KeygateFunction` (10 s)
   */
  readonly timeout?: Duration;
}

/**
 * The plan reconciler: it moves usage identifiers between usage plans and manages enterprise
 * plans, and waits out the settle time before deleting a replaced identifier.
 */
export const RECONCILER_FUNCTION: RouteFunctionSpec = {
  entry: 'reconciler/index.ts',
  access: 'readWrite',
  controlPlane: ['flushCache', 'findPlans', 'issueUsageKeys', 'manageUsagePlans'],
  // one plan change: two waits for UpdateUsagePlan's 20 s window (up to 66 s, see
  // `reconcilerBackoff`), the settle time before an old identifier goes, and the calls between.
  timeout: Duration.seconds(120),
};

/**
 * The notice Lambda: the daily expiry and staleness notices (`lambdas/notices`). It writes
 * events and revokes stale keys when asked to, so it may write and flush the cache; a day with
 * many notices takes a while, far under the limit.
 */
export const NOTICES_FUNCTION: RouteFunctionSpec = {
  entry: 'notices/index.ts',
  access: 'readWrite',
  controlPlane: ['flushCache'],
  timeout: Duration.minutes(5),
};

/**
 * The Lambda behind each {@link FunctionName} of {@link ROUTES}: a new route is a line in
 * `ROUTES`, and a new function name an entry here (the type makes sure of it).
 */
export const ROUTE_FUNCTIONS: Readonly<Record<FunctionName, RouteFunctionSpec>> = {
  account: { entry: 'account/index.ts', access: 'read', controlPlane: ['findPlans', 'readUsage'] },
  keys: {
    entry: 'keys/index.ts',
    access: 'readWrite',
    controlPlane: ['flushCache', 'findPlans', 'issueUsageKeys'],
    rotatesKeys: true,
  },
  panel: {
    entry: 'panel/index.ts',
    access: 'readWrite',
    rotatesKeys: true,
    controlPlane: ['flushCache', 'findPlans', 'readUsage', 'issueUsageKeys', 'manageUsagePlans'],
  },
  // reads the audit trail the outbox writes; never changes anything.
  events: { entry: 'events/index.ts', access: 'read' },
  // marks (and revokes) leaked keys with their event, and flushes the cache after a revoke.
  leaks: { entry: 'leaks/index.ts', access: 'readWrite', controlPlane: ['flushCache'] },
};

/**
 * The control-plane calls behind each kind of access, as IAM sees them: HTTP verbs on resource
 * paths. Flushing the cache is on this API's stage only and is built with the API's id.
 */
const CONTROL_PLANE_CALLS: Readonly<
  Record<Exclude<ControlPlaneAccess, 'flushCache'>, readonly (readonly [string, string])[]>
> = {
  findPlans: [['GET', '/usageplans']],
  readUsage: [['GET', '/usageplans/*/usage']],
  // creating an API key or usage plan (POST on its collection) is granted with the stack's tag
  // only, by `guardStackResources`.
  issueUsageKeys: [
    // finding API keys by name: what a crashed reconciler step left behind.
    ['GET', '/apikeys'],
    // telling a key already deleted from one IAM refuses to delete (both answer AccessDenied).
    ['GET', '/apikeys/*'],
    ['DELETE', '/apikeys/*'],
    ['POST', '/usageplans/*/keys'],
    ['GET', '/usageplans/*/keys/*'],
    ['DELETE', '/usageplans/*/keys/*'],
  ],
  manageUsagePlans: [
    ['GET', '/usageplans/*'],
    ['PATCH', '/usageplans/*'],
    ['DELETE', '/usageplans/*'],
  ],
};

/** What every management Lambda is built with: the settings and the resources it reads or calls. */
export interface ManagementContext {
  /** The validated settings. */
  readonly settings: KeygateSettings;
  /** The REST API whose usage plans and stage the functions manage. */
  readonly api: apigateway.RestApi;
  /** The key table. */
  readonly table: KeyTable;
  /** The shared plans. */
  readonly ratePlans: RatePlans;
  /** The flush queue, for functions that flush the authorizer cache. */
  readonly cacheFlush: AuthorizerCacheFlush;
  /** The prefix of the API keys and usage plans made at run time, and of their `keygate:stack` tag. */
  readonly namePrefix: string;
  /**
   * The stages besides `api`'s that every usage plan made at run time is bound to (the guarded
   * API's), so an enterprise tenant's limits hold there too.
   *
   * @default - none
   */
  readonly usagePlanStages?: readonly { readonly restApiId: string; readonly stageName: string }[];
}

/**
 * A management Lambda on `scope`: the table access, control-plane permissions and settings its
 * {@link RouteFunctionSpec} names, and the variables every management Lambda reads at load.
 */
export function managementFunction(
  scope: Construct,
  id: string,
  description: string,
  spec: RouteFunctionSpec,
  ctx: ManagementContext,
): KeygateFunction {
  const { settings, api, table, ratePlans, cacheFlush, namePrefix } = ctx;
  const fn = new KeygateFunction(scope, id, {
    entry: spec.entry,
    description,
    environment: {
      [ENV.keyPrefix]: settings.keyPrefix,
      [ENV.keyFormats]: JSON.stringify(keyFormatsOf(settings)),
      [ENV.restApiId]: api.restApiId,
      [ENV.stageName]: settings.stageName,
      // the API keys and enterprise usage plans made at run time are named after the stack.
      [ENV.namePrefix]: namePrefix,
      [ENV.plans]: JSON.stringify(ratePlans.namedPlans),
      // every function that writes a change writes its event, kept this long.
      [ENV.eventRetentionDays]: String(settings.eventRetentionDays),
      ...(ctx.usagePlanStages === undefined || ctx.usagePlanStages.length === 0
        ? {}
        : { [ENV.usagePlanStages]: Stack.of(scope).toJsonString(ctx.usagePlanStages) }),
    },
    ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }),
  });
  fn.useTable(table, spec.access);
  if (spec.controlPlane?.includes('flushCache') === true) cacheFlush.grantRequest(fn);
  if (spec.rotatesKeys === true) cacheFlush.grantSchedule(fn);
  for (const statement of controlPlaneStatements(spec.controlPlane ?? [])) fn.addToRolePolicy(statement);
  if (spec.controlPlane?.some((access) => access === 'issueUsageKeys' || access === 'manageUsagePlans') === true) {
    // create tagged with the stack's name; never touch what lacks that tag.
    guardStackResources(fn, namePrefix, [
      ...(spec.controlPlane.includes('issueUsageKeys') ? (['apikeys'] as const) : []),
      ...(spec.controlPlane.includes('manageUsagePlans') ? (['usageplans'] as const) : []),
    ]);
  }
  if (spec.controlPlane?.includes('manageUsagePlans') === true && fn.role !== undefined) {
    // the shared plans belong to the stack: only CloudFormation changes or deletes them. a
    // policy of its own, because the function must not wait for the plans (they wait for
    // the stage, which waits for the methods, which wait for the function).
    new iam.Policy(scope, `${id.replace(/Function$/, '')}SharedPlansGuard`, {
      roles: [fn.role],
      statements: [
        new iam.PolicyStatement({
          effect: iam.Effect.DENY,
          actions: ['apigateway:PATCH', 'apigateway:DELETE'],
          resources: CONFIGURED_PLANS.map((plan) =>
            controlPlaneArn(`/usageplans/${ratePlans.usagePlans[plan].usagePlanId}`),
          ),
        }),
      ],
    });
  }
  const wildcards = controlPlaneCalls(spec.controlPlane ?? [])
    .map(([, path]) => path)
    .filter((path) => path.includes('*'))
    .map((path) => `arn:<AWS::Partition>:apigateway:<AWS::Region>::${path}`);
  if (wildcards.length > 0) {
    // cdk-nag reports each wildcard resource of the role's policy as a finding of its own.
    Validations.of(fn.role ?? fn).acknowledge(
      ...wildcards.map((resource) => ({
        id: `AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          "tenants' API keys and enterprise usage plans are created at run time: their ids are unknown at deploy time. " +
          "an API key, usage plan or usage plan key that lacks this stack's keygate:stack tag is denied (SECURITY.md)",
      })),
    );
  }
  return fn;
}

/**
 * IAM statements for control-plane calls (flushing is granted by `AuthorizerCacheFlush`). Their
 * ARNs use the region as a pseudo parameter so that they, and the cdk-nag findings naming them,
 * read the same whatever the environment.
 */
function controlPlaneStatements(access: readonly ControlPlaneAccess[]): iam.PolicyStatement[] {
  return controlPlaneCalls(access).map(
    ([verb, path]) => new iam.PolicyStatement({ actions: [`apigateway:${verb}`], resources: [controlPlaneArn(path)] }),
  );
}

/** An API Gateway control-plane ARN (`arn:aws:apigateway:<region>::<path>`). */
function controlPlaneArn(path: string): string {
  return `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${path}`;
}

/** The control-plane calls a set of access kinds allows. */
function controlPlaneCalls(access: readonly ControlPlaneAccess[]): (readonly [string, string])[] {
  return access.flatMap((kind) => (kind === 'flushCache' ? [] : CONTROL_PLANE_CALLS[kind]));
}
