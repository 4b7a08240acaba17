import { Aws, CfnOutput, Duration, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { leakPolicyFrom } from '../lambdas/core/leaks/leak-service';
import { ROUTES, type FunctionName, type Route } from '../lambdas/core/http/routes';
import { KeygateAlarms } from './alarms';
import { AuthorizerCacheFlush } from './authorizer-cache-flush';
import { keygateRestApi, pascal } from './keygate-api';
import { KeyAuthorizer } from './key-authorizer';
import * as events from 'aws-cdk-lib/aws-events';
import { EventPublisher } from './event-publisher';
import { KeyNotices } from './key-notices';
import { PlanReconcileQueue } from './plan-reconcile-queue';
import { KeyTable } from './key-table';
import { RatePlans } from './rate-plans';
import { guardStackResources, tagSharedPlans } from './stack-tag';
import { KeygateTeardown } from './teardown';
import { KeygateWaf } from './waf';
import { KeygateFunction, type TableAccess } from './keygate-function';
import { CONFIGURED_PLANS, resolveSettings, type KeygateSettings } from './settings';
import { KeygateUpstream } from './upstream';
import { KeygateRoutes, type AddedRoute, type KeygateRoute } from './key-routes';

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

/** How the stack builds the Lambda behind a {@link FunctionName}. */
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
  timeout: Duration.seconds(60),
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
  keys: { entry: 'keys/index.ts', access: 'readWrite', controlPlane: ['flushCache', 'findPlans', 'issueUsageKeys'] },
  panel: {
    entry: 'panel/index.ts',
    access: 'readWrite',
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
const CONTROL_PLANE_CALLS: Readonly<Record<Exclude<ControlPlaneAccess, 'flushCache'>, readonly (readonly [string, string])[]>> = {
  findPlans: [['GET', '/usageplans']],
  readUsage: [['GET', '/usageplans/*/usage']],
  issueUsageKeys: [
    ['POST', '/apikeys'],
    // finding API keys by name: what a crashed reconciler step left behind.
    ['GET', '/apikeys'],
    ['DELETE', '/apikeys/*'],
    ['POST', '/usageplans/*/keys'],
    ['GET', '/usageplans/*/keys/*'],
    ['DELETE', '/usageplans/*/keys/*'],
  ],
  manageUsagePlans: [
    ['POST', '/usageplans'],
    ['GET', '/usageplans/*'],
    ['PATCH', '/usageplans/*'],
    ['DELETE', '/usageplans/*'],
  ],
};

/** Properties of a {@link KeygateStack}. */
export interface KeygateStackProps extends StackProps {
  /** The deployment's settings, usually from {@link settingsFromContext}; validated again here. */
  readonly settings: KeygateSettings;
}

/**
 * keygate in one stack: the key table, the REST API with its TOKEN authorizer and gateway
 * responses in the contract's error shape, a usage plan per configured plan, and one Lambda
 * per route function.
 */
export class KeygateStack extends Stack {
  /** The REST API. */
  public readonly api: apigateway.RestApi;
  /** The key table. */
  public readonly table: KeyTable;
  /** The TOKEN authorizer on every route. */
  public readonly keyAuthorizer: KeyAuthorizer;
  /** The Lambda behind each function name, as {@link ROUTE_FUNCTIONS} describes it. */
  public readonly functions: Readonly<Record<FunctionName, KeygateFunction>>;
  /** The usage plans of the shared plans; enterprise plans are made at run time. */
  public readonly ratePlans: RatePlans;
  /** The later flushes of the authorizer cache: after revocations, at grace ends, at midnight. */
  public readonly cacheFlush: AuthorizerCacheFlush;
  /** The queue and Lambda that apply plan changes to API Gateway, one at a time. */
  public readonly planReconciler: PlanReconcileQueue;
  /** The outbox's relay: the table's stream to EventBridge. */
  public readonly eventPublisher: EventPublisher;
  /** The bus of keygate's own that events go to, when `keygate:eventBusName` is set. */
  public readonly eventBus?: events.EventBus;
  /** The daily expiry and staleness notices. */
  public readonly notices: KeyNotices;
  /** Your own Lambda routes; add them with {@link addRoute}. */
  public readonly routes: KeygateRoutes;
  /** The front door to `keygate:upstreamUrl`, when that is set. */
  public readonly upstream?: KeygateUpstream;
  /** The alarms on failures that would otherwise be silent, and their optional topic. */
  public readonly alarms: KeygateAlarms;
  /** The web ACL in front of the stage, when the `waf` setting is on. */
  public readonly waf: KeygateWaf | undefined;
  /** Removes the run-time API keys and enterprise usage plans when the stack is deleted. */
  public readonly teardown: KeygateTeardown;

  constructor(scope: Construct, id: string, props: KeygateStackProps) {
    super(scope, id, props);
    const settings = resolveSettings(props.settings);

    this.table = new KeyTable(this, 'Keys', { noticeIndexes: settings.noticeIndexes });
    this.keyAuthorizer = new KeyAuthorizer(this, 'KeyAuthorizer', {
      table: this.table,
      keyPrefix: settings.keyPrefix,
      acceptBareKeys: settings.acceptBareKeys,
      resultsCacheTtl: Duration.seconds(settings.authorizerCacheTtlSeconds),
      lastUsedInterval: Duration.seconds(settings.lastUsedIntervalSeconds),
    });
    this.api = keygateRestApi(this, settings, this.stackName);
    this.ratePlans = new RatePlans(this, 'RatePlans', { api: this.api, plans: settings.plans });
    this.cacheFlush = new AuthorizerCacheFlush(this, 'AuthorizerCacheFlush', {
      restApiId: this.api.restApiId,
      stageName: settings.stageName,
      // the second flush comes once every call in flight at the first has surely ended.
      settle: this.keyAuthorizer.timeout.plus(Duration.seconds(7)),
      flushAtMidnight: settings.authorizerCacheTtlSeconds > 0,
    });
    for (const stage of settings.protectedStages ?? []) this.cacheFlush.addStage(stage.restApiId, stage.stageName);
    this.functions = this.routeFunctions(settings);
    // what a reported leak does to the key: `revoke` (default) or `notify`.
    this.functions.leaks.addEnvironment('ON_LEAK', leakPolicyFrom(this.node.tryGetContext('keygate:onLeak'), 'keygate:onLeak'));
    this.planReconciler = new PlanReconcileQueue(this, 'PlanReconcile', {
      function: this.managementFunction(settings, 'ReconcilerFunction', 'keygate: makes API Gateway usage plans match tenant plans', RECONCILER_FUNCTION),
    });
    this.planReconciler.grantRequest(this.functions.panel);
    this.eventBus = settings.eventBusName === undefined ? undefined : new events.EventBus(this, 'EventBus', { eventBusName: settings.eventBusName });
    this.eventPublisher = new EventPublisher(this, 'EventPublisher', { table: this.table, eventBusName: this.eventBus?.eventBusName });
    this.notices = new KeyNotices(this, 'Notices', {
      function: this.managementFunction(settings, 'NoticesFunction', 'keygate: daily expiry and staleness notices', NOTICES_FUNCTION),
      table: this.table,
      staleAfterDays: settings.staleAfterDays,
      revokeStaleKeys: settings.revokeStaleKeys,
    });
    this.alarms = new KeygateAlarms(this, 'Alarms', {
      api: this.api,
      authorizerFunction: this.keyAuthorizer.function,
      flushingFunctions: [this.functions.keys, this.functions.panel, this.planReconciler.function, this.cacheFlush.function],
      flushDeadLetterQueue: this.cacheFlush.deadLetterQueue,
      otherAlarms: [this.planReconciler.failedAlarm, this.planReconciler.backlogAlarm],
      alarmEmail: settings.alarmEmail,
    });
    this.waf = settings.waf ? new KeygateWaf(this, 'Waf', { stage: this.api.deploymentStage, ipRateLimit: settings.wafIpRateLimit }) : undefined;

    const integrations = new Map<FunctionName, apigateway.Integration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.function);
      if (integration === undefined) {
        // one permission per function for the whole stage, not one per method and test invoke.
        integration = new apigateway.LambdaIntegration(this.functions[route.function], { scopePermissionToMethod: false });
        integrations.set(route.function, integration);
      }
      if (route.auth === 'none') {
        this.addUnauthenticatedMethod(route, integration);
        continue;
      }
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizer: this.keyAuthorizer.authorizer,
        authorizationType: apigateway.AuthorizationType.CUSTOM,
        // the authorizer returns the tenant's usage identifier; requiring it puts every call
        // under the tenant's usage plan, so API Gateway itself answers 429 over the limit.
        apiKeyRequired: true,
      });
    }

    this.routes = new KeygateRoutes(this, 'Routes', { api: this.api, keyAuthorizer: this.keyAuthorizer, table: this.table });
    if (settings.upstreamUrl !== undefined) {
      this.upstream = new KeygateUpstream(this, 'Upstream', { api: this.api, authorizer: this.keyAuthorizer.authorizer, url: settings.upstreamUrl });
      new CfnOutput(this, 'UpstreamSecretArn', { value: this.upstream.secret.secretArn, description: 'The secret sent to the upstream as x-keygate-secret' });
    }
    tagSharedPlans(CONFIGURED_PLANS.map((plan) => this.ratePlans.usagePlans[plan]), this.stackName);
    this.teardown = new KeygateTeardown(this, 'Teardown', {
      api: this.api,
      namePrefix: this.stackName,
      sharedPlans: CONFIGURED_PLANS.map((plan) => this.ratePlans.usagePlans[plan]),
    });

    const plans = this.ratePlans.namedPlans;

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'The API base URL, stage included' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'The key table' });
    // what `npm run admin -- create-operator-key` reads to mint the first operator key.
    new CfnOutput(this, 'RestApiId', { value: this.api.restApiId, description: 'The REST API id' });
    new CfnOutput(this, 'StageName', { value: settings.stageName, description: 'The API stage' });
    new CfnOutput(this, 'KeyPrefix', { value: settings.keyPrefix, description: 'The prefix of every key' });
    new CfnOutput(this, 'NamePrefix', { value: this.stackName, description: 'The prefix of run-time API keys and usage plans' });
    new CfnOutput(this, 'OperatorPlan', { value: settings.operatorPlan, description: "The operator tenant's plan" });
    new CfnOutput(this, 'Plans', { value: JSON.stringify(plans), description: 'The shared plans by usage plan name' });
    new CfnOutput(this, 'FirstOperatorKey', {
      value: `npm run admin -- create-operator-key --stack ${this.stackName} --region ${this.region}`,
      description: 'Run this once, with your own AWS credentials, to mint the first operator key',
    });
  }

  /**
   * Adds a Lambda route of your own behind the key authorizer, `apiKeyRequired` and keygate's
   * function defaults; `roles` limit who may call it, in the authorizer's policy.
   *
   * @example stack.addRoute({ method: 'DELETE', path: '/v1/orders/{id}', entry: path.join(__dirname, 'orders.ts'), roles: ['owner', 'admin'] });
   */
  addRoute(route: KeygateRoute): AddedRoute {
    return this.routes.addRoute(route);
  }

  /**
   * Adds a stage the key authorizer guards besides keygate's own (the authorizer attached to
   * another `RestApi`): revocations and the scheduled flushes flush its cache too.
   */
  protectStage(stage: apigateway.IStage): void {
    this.cacheFlush.addStage(stage.restApi.restApiId, stage.stageName);
  }

  /**
   * A method without the key authorizer or an API key (`auth: 'none'`): its handler authenticates
   * the caller itself (GitHub's signed leak alerts), and refuses with 401 before doing anything.
   */
  private addUnauthenticatedMethod(route: Route, integration: apigateway.Integration): void {
    const method = this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
      authorizationType: apigateway.AuthorizationType.NONE,
      apiKeyRequired: false,
    });
    Validations.of(method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason: `${route.method} ${route.path} is called by GitHub secret scanning, which has no API key: the handler verifies GitHub's ECDSA signature over the raw body and answers 401 before any read`,
      },
      {
        id: 'AwsSolutions-COG4',
        reason: `${route.method} ${route.path} authenticates its caller by GitHub's ECDSA signature, not by a user pool`,
      },
    );
  }

  /**
   * One Lambda per function name, each with the table access and control-plane permissions its
   * {@link RouteFunctionSpec} names, and the settings every management Lambda reads at load.
   */
  private routeFunctions(settings: KeygateSettings): Record<FunctionName, KeygateFunction> {
    const functions = {} as Record<FunctionName, KeygateFunction>;
    for (const [name, spec] of Object.entries(ROUTE_FUNCTIONS) as [FunctionName, RouteFunctionSpec][]) {
      functions[name] = this.managementFunction(settings, `${pascal(name)}Function`, `keygate: the ${name} routes`, spec);
    }
    return functions;
  }

  /** A management Lambda: table access, control-plane permissions and settings from its spec. */
  private managementFunction(settings: KeygateSettings, id: string, description: string, spec: RouteFunctionSpec): KeygateFunction {
    const fn = new KeygateFunction(this, id, {
      entry: spec.entry,
      description,
      environment: {
        KEY_PREFIX: settings.keyPrefix,
        REST_API_ID: this.api.restApiId,
        STAGE_NAME: settings.stageName,
        // the API keys and enterprise usage plans made at run time are named after the stack.
        NAME_PREFIX: this.stackName,
        PLANS: JSON.stringify(this.ratePlans.namedPlans),
        // every function that writes a change writes its event, kept this long.
        EVENT_RETENTION_DAYS: String(settings.eventRetentionDays),
      },
      ...(spec.timeout === undefined ? {} : { timeout: spec.timeout }),
    });
    fn.useTable(this.table, spec.access);
    if (spec.controlPlane?.includes('flushCache') === true) this.cacheFlush.grantRequest(fn);
    for (const statement of this.controlPlaneStatements(spec.controlPlane ?? [])) fn.addToRolePolicy(statement);
    if (spec.controlPlane?.some((access) => access === 'issueUsageKeys' || access === 'manageUsagePlans') === true) {
      // tag what it creates with the stack's name; never touch what another keygate stack tagged.
      guardStackResources(fn, this.stackName);
    }
    if (spec.controlPlane?.includes('manageUsagePlans') === true && fn.role !== undefined) {
      // the shared plans belong to the stack: only CloudFormation changes or deletes them. a
      // policy of its own, because the function must not wait for the plans (they wait for
      // the stage, which waits for the methods, which wait for the function).
      new iam.Policy(this, `${id.replace(/Function$/, '')}SharedPlansGuard`, {
        roles: [fn.role],
        statements: [
          new iam.PolicyStatement({
            effect: iam.Effect.DENY,
            actions: ['apigateway:PATCH', 'apigateway:DELETE'],
            resources: CONFIGURED_PLANS.map((plan) => controlPlaneArn(`/usageplans/${this.ratePlans.usagePlans[plan].usagePlanId}`)),
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
            'what another keygate stack tagged (keygate:stack) is denied; an untagged key or plan of the account is not, since ' +
            'keys made before tagging carry no tag (README, Security notes)',
        })),
      );
    }
    return fn;
  }

  /**
   * IAM statements for control-plane calls (flushing is granted by `AuthorizerCacheFlush`). Their ARNs use the region as a pseudo parameter so
   * that they, and the cdk-nag findings naming them, read the same whatever the environment.
   */
  private controlPlaneStatements(access: readonly ControlPlaneAccess[]): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [];
    for (const [verb, path] of controlPlaneCalls(access)) {
      statements.push(new iam.PolicyStatement({ actions: [`apigateway:${verb}`], resources: [controlPlaneArn(path)] }));
    }
    return statements;
  }

}

/** An API Gateway control-plane ARN (`arn:aws:apigateway:<region>::<path>`). */
function controlPlaneArn(path: string): string {
  return `arn:${Aws.PARTITION}:apigateway:${Aws.REGION}::${path}`;
}

/** The control-plane calls a set of access kinds allows. */
function controlPlaneCalls(access: readonly ControlPlaneAccess[]): (readonly [string, string])[] {
  return access.flatMap((kind) => (kind === 'flushCache' ? [] : CONTROL_PLANE_CALLS[kind]));
}

