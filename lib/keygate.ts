import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as events from 'aws-cdk-lib/aws-events';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES, type FunctionName, type Route } from '../lambdas/core/http/routes';
import { ENV } from '../lambdas/runtime/env-names';
import { KeygateAlarms } from './alarms';
import { AuthorizerCacheFlush } from './authorizer-cache-flush';
import { ConsoleHosting, type ConsoleFiles } from './console-hosting';
import { addKeygateCors } from './cors';
import { EventPublisher } from './event-publisher';
import { GuardedApi } from './guarded-api';
import { KeyAuthorizer } from './key-authorizer';
import { KeyNotices } from './key-notices';
import { KeygateRoutes, type AddedRoute, type KeygateRoute } from './key-routes';
import { KeyTable } from './key-table';
import { addGatewayErrors, keygateRestApi, pascal } from './keygate-api';
import type { KeygateFunction } from './keygate-function';
import {
  managementFunction,
  NOTICES_FUNCTION,
  RECONCILER_FUNCTION,
  ROUTE_FUNCTIONS,
  type ManagementContext,
  type RouteFunctionSpec,
} from './management-functions';
import { PlanReconcileQueue } from './plan-reconcile-queue';
import { RatePlans } from './rate-plans';
import { CONFIGURED_PLANS, resolveSettings, type KeygateSettings, keyFormatsOf } from './settings';
import { tagSharedPlans } from './stack-tag';
import { KeygateTeardown } from './teardown';
import { KeygateUpstream } from './upstream';
import { UsagePipeline } from './usage-pipeline';
import { KeygateWaf } from './waf';

/** Properties of a {@link Keygate}. */
export interface KeygateProps {
  /** The deployment's settings, usually from `settingsFromContext`; validated again here. */
  readonly settings: KeygateSettings;
  /**
   * The name of the REST API, and the prefix of the API keys and usage plans made at run time
   * (and of their `keygate:stack` tag): unique among the keygates of an account and region.
   *
   * @default - the name of the stack keygate is in
   */
  readonly name?: string;
  /**
   * The built operator console, which the `console` setting deploys: `consoleFiles()` of
   * `bin/console-files.ts` builds it (asynchronously, before the stack).
   *
   * @default - none; required when `settings.console` is on
   */
  readonly consoleFiles?: ConsoleFiles;
}

/**
 * keygate, for a stack of your own: the key table, the REST API with its TOKEN authorizer and
 * gateway responses in the contract's error shape, a usage plan per configured plan, one Lambda
 * per route function, the cache flushes, the plan reconciler, the event publisher, the daily
 * notices, alarms and, when the settings ask for them, the front door, WAF and the operator console.
 *
 * Give it the id `Default` to keep the logical ids it would have as the whole stack (which is
 * what `KeygateStack` does): CloudFormation then sees the same resources.
 *
 * @example new Keygate(this, 'Keygate', { settings: settingsFromContext(this.node) });
 */
export class Keygate extends Construct {
  /** The settings, validated and with their defaults. */
  public readonly settings: KeygateSettings;
  /** The REST API's name and the prefix of what keygate creates at run time. */
  public readonly name: string;
  /** The REST API. */
  public readonly api: apigateway.RestApi;
  /** The access log of the API's stage: one JSON line per request. */
  public readonly accessLogs: logs.LogGroup;
  /** The key table. */
  public readonly table: KeyTable;
  /** The TOKEN authorizers: keygate's routes take keys and sessions, every other method keys only. */
  public readonly keyAuthorizer: KeyAuthorizer;
  /** The Lambda behind each function name, as `ROUTE_FUNCTIONS` describes it. */
  public readonly functions: Readonly<Record<FunctionName, KeygateFunction>>;
  /** The usage plans of the shared plans; enterprise plans are made at run time. */
  public readonly ratePlans: RatePlans;
  /** The later flushes of the authorizer cache: after revocations, at grace ends, at midnight. */
  public readonly cacheFlush: AuthorizerCacheFlush;
  /** The queue and Lambda that apply plan changes to API Gateway, one at a time. */
  public readonly planReconciler: PlanReconcileQueue;
  /** The outbox's relay: the table's stream to EventBridge. */
  public readonly eventPublisher: EventPublisher;
  /** The bus of keygate's own that events go to, when `eventBusName` is set. */
  public readonly eventBus?: events.EventBus;
  /** The daily expiry and staleness notices. */
  public readonly notices: KeyNotices;
  /** Your own Lambda routes; add them with {@link addRoute}. */
  public readonly routes: KeygateRoutes;
  /**
   * The REST API of the front door and `addRoute` routes, when `gatewayAnswers` gives them answers
   * of their own; without it they are on {@link api}.
   */
  public readonly guarded?: GuardedApi;
  /** The front door to `upstreamUrl`, when that is set. */
  public readonly upstream?: KeygateUpstream;
  /** The alarms on failures that would otherwise be silent, and their optional topic. */
  public readonly alarms: KeygateAlarms;
  /**
   * Per-key usage from the access log, when the `usageAnalytics` setting is on; count another
   * guarded stage's access log with `usage.addAccessLogGroup`.
   */
  public readonly usage?: UsagePipeline;
  /** The operator console's bucket and distribution, when the `console` setting is on. */
  public readonly console?: ConsoleHosting;
  /** The web ACL in front of the stage, when the `waf` setting is on. */
  public readonly waf: KeygateWaf | undefined;
  /** Removes the run-time API keys and enterprise usage plans when the stack is deleted. */
  public readonly teardown: KeygateTeardown;

  constructor(scope: Construct, id: string, props: KeygateProps) {
    super(scope, id);
    const settings = resolveSettings(props.settings);
    if (settings.console && props.consoleFiles === undefined) {
      throw new Error(
        'keygate:console needs the built console: pass consoleFiles (see bin/console-files.ts), or turn the setting off',
      );
    }
    this.settings = settings;
    this.name = props.name ?? Stack.of(this).stackName;

    this.table = new KeyTable(this, 'Keys', { noticeIndexes: settings.noticeIndexes });
    this.keyAuthorizer = new KeyAuthorizer(this, 'KeyAuthorizer', {
      table: this.table,
      keyPrefix: settings.keyPrefix,
      keyFormats: keyFormatsOf(settings),
      acceptBareKeys: settings.acceptBareKeys,
      resultsCacheTtl: Duration.seconds(settings.authorizerCacheTtlSeconds),
      lastUsedInterval: Duration.seconds(settings.lastUsedIntervalSeconds),
      stageNames: [settings.stageName, ...(settings.protectedStages ?? []).map((stage) => stage.stageName)],
      ...(settings.workspacePathSegment === undefined ? {} : { workspaceSegment: settings.workspacePathSegment }),
    });
    const restApi = keygateRestApi(this, settings, this.name);
    this.api = restApi.api;
    this.accessLogs = restApi.accessLogs;
    this.console =
      settings.console && props.consoleFiles !== undefined
        ? new ConsoleHosting(this, 'Console', { files: props.consoleFiles, api: this.api })
        : undefined;
    const corsOrigins = [...(settings.corsOrigins ?? []), ...(this.console === undefined ? [] : [this.console.origin])];
    addGatewayErrors(this.api, corsOrigins);
    this.ratePlans = new RatePlans(this, 'RatePlans', { api: this.api, plans: settings.plans });
    this.cacheFlush = new AuthorizerCacheFlush(this, 'AuthorizerCacheFlush', {
      restApiId: this.api.restApiId,
      stageName: settings.stageName,
      // the second flush comes once every call in flight at the first has surely ended.
      settle: this.keyAuthorizer.timeout.plus(Duration.seconds(7)),
      flushAtMidnight: settings.authorizerCacheTtlSeconds > 0,
    });
    for (const stage of settings.protectedStages ?? []) this.cacheFlush.addStage(stage.restApiId, stage.stageName);
    // a gateway response covers every route of its REST API: answers of their own need an API of their own.
    this.guarded =
      settings.gatewayAnswers === undefined
        ? undefined
        : new GuardedApi(this, 'Guarded', {
            settings,
            restApiName: `${this.name}-guarded`,
            keygateApi: this.api,
            keyAuthorizer: this.keyAuthorizer,
            cacheFlush: this.cacheFlush,
            ratePlans: this.ratePlans,
          });
    const ctx: ManagementContext = {
      settings,
      api: this.api,
      table: this.table,
      ratePlans: this.ratePlans,
      cacheFlush: this.cacheFlush,
      namePrefix: this.name,
      ...(this.guarded === undefined
        ? {}
        : { usagePlanStages: [{ restApiId: this.guarded.api.restApiId, stageName: settings.stageName }] }),
    };
    const functions = {} as Record<FunctionName, KeygateFunction>;
    for (const [name, spec] of Object.entries(ROUTE_FUNCTIONS) as [FunctionName, RouteFunctionSpec][]) {
      functions[name] = managementFunction(this, `${pascal(name)}Function`, `keygate: the ${name} routes`, spec, ctx);
    }
    this.functions = functions;
    // what a reported leak does to the key: `revoke` (default) or `notify`.
    this.functions.leaks.addEnvironment(ENV.onLeak, settings.onLeak);
    this.planReconciler = new PlanReconcileQueue(this, 'PlanReconcile', {
      function: managementFunction(
        this,
        'ReconcilerFunction',
        'keygate: makes API Gateway usage plans match tenant plans',
        RECONCILER_FUNCTION,
        ctx,
      ),
    });
    this.planReconciler.grantRequest(this.functions.panel);
    this.eventBus =
      settings.eventBusName === undefined
        ? undefined
        : new events.EventBus(this, 'EventBus', { eventBusName: settings.eventBusName });
    this.eventPublisher = new EventPublisher(this, 'EventPublisher', {
      table: this.table,
      eventBusName: this.eventBus?.eventBusName,
    });
    this.notices = new KeyNotices(this, 'Notices', {
      function: managementFunction(
        this,
        'NoticesFunction',
        'keygate: daily expiry and staleness notices',
        NOTICES_FUNCTION,
        ctx,
      ),
      table: this.table,
      staleAfterDays: settings.staleAfterDays,
      revokeStaleKeys: settings.revokeStaleKeys,
    });
    this.usage = settings.usageAnalytics
      ? new UsagePipeline(this, 'Usage', {
          table: this.table,
          // the guarded routes' stage logs in the same format: their requests count too.
          accessLogGroups: [this.accessLogs, ...(this.guarded === undefined ? [] : [this.guarded.accessLogs])],
          hourlyRetentionDays: settings.usageHourlyRetentionDays,
          dailyRetentionDays: settings.usageDailyRetentionDays,
          newSourceDays: settings.newSourceDays,
        })
      : undefined;
    this.alarms = new KeygateAlarms(this, 'Alarms', {
      api: this.api,
      authorizerFunction: this.keyAuthorizer.function,
      keysOnlyAuthorizerFunction: this.keyAuthorizer.keysOnlyFunction,
      ...(this.usage === undefined ? {} : { lastUseFunctions: [this.usage.function] }),
      // every function that flushes: leaks revokes a leaked key, notices a stale one.
      flushingFunctions: [
        this.functions.keys,
        this.functions.panel,
        this.functions.leaks,
        this.planReconciler.function,
        this.notices.function,
        this.cacheFlush.function,
      ],
      flushDeadLetterQueue: this.cacheFlush.deadLetterQueue,
      noticesDeadLetterQueue: this.notices.deadLetterQueue,
      otherAlarms: [
        this.planReconciler.failedAlarm,
        this.planReconciler.backlogAlarm,
        ...(this.usage === undefined ? [] : [this.usage.failedAlarm]),
        ...(this.guarded === undefined ? [] : [this.guarded.serverErrorAlarm]),
      ],
      alarmEmail: settings.alarmEmail,
    });
    this.waf = settings.waf
      ? new KeygateWaf(this, 'Waf', { stage: this.api.deploymentStage, ipRateLimit: settings.wafIpRateLimit })
      : undefined;
    if (this.waf !== undefined) this.guarded?.protectWith(this.waf.webAcl);
    this.addRouteMethods();
    if (corsOrigins.length > 0) addKeygateCors(this.api, ROUTES, Object.values(this.functions), corsOrigins);

    // the routes guarded for you take keys only: no session's cached Allow ever reaches them.
    this.routes = new KeygateRoutes(this, 'Routes', {
      api: this.guarded?.api ?? this.api,
      keyAuthorizer: this.keyAuthorizer,
      table: this.table,
    });
    if (settings.upstreamUrl !== undefined) {
      this.upstream = new KeygateUpstream(this, 'Upstream', {
        api: this.guarded?.api ?? this.api,
        authorizer: this.keyAuthorizer.keysOnlyAuthorizerFor(this.guarded?.api ?? this.api),
        url: settings.upstreamUrl,
        ...(settings.upstreamSecretVersion === undefined ? {} : { secretVersionId: settings.upstreamSecretVersion }),
        workspaces: settings.workspacePathSegment !== undefined,
      });
    }
    const sharedPlans = CONFIGURED_PLANS.map((plan) => this.ratePlans.usagePlans[plan]);
    tagSharedPlans(sharedPlans, this.name);
    this.teardown = new KeygateTeardown(this, 'Teardown', { api: this.api, namePrefix: this.name, sharedPlans });
    // the sweep unbinds enterprise plans from this stage too, so it goes while the stage exists.
    if (this.guarded !== undefined) this.teardown.resource.node.addDependency(this.guarded.api.deploymentStage);
  }

  /**
   * Adds a Lambda route of your own behind the key authorizer, `apiKeyRequired` and keygate's
   * function defaults; `roles` limit who may call it, in the authorizer's policy.
   *
   * @example keygate.addRoute({ method: 'DELETE', path: '/v1/orders/{id}', entry: path.join(__dirname, 'orders.ts'), roles: ['owner', 'admin'] });
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
    this.keyAuthorizer.addStageName(stage.stageName);
  }

  /** The methods of keygate's own API, each on the Lambda of its function name. */
  private addRouteMethods(): void {
    const integrations = new Map<FunctionName, apigateway.Integration>();
    for (const route of ROUTES) {
      let integration = integrations.get(route.function);
      if (integration === undefined) {
        // one permission per function for the whole stage, not one per method and test invoke.
        integration = new apigateway.LambdaIntegration(this.functions[route.function], {
          scopePermissionToMethod: false,
        });
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
  }

  /**
   * A method without the key authorizer or an API key (`auth: 'none'`): its handler authenticates
   * the caller itself (GitHub's signed leak alerts, a one-time sign-in code), and refuses with 401
   * before anything else.
   */
  private addUnauthenticatedMethod(route: Route, integration: apigateway.Integration): void {
    const method = this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
      authorizationType: apigateway.AuthorizationType.NONE,
      apiKeyRequired: false,
    });
    const self = route.selfAuthenticated;
    if (self === undefined)
      throw new Error(`${route.method} ${route.path} has auth none but does not say how its handler authenticates`);
    Validations.of(method).acknowledge(
      {
        id: 'AwsSolutions-APIG4',
        reason: `${route.method} ${route.path} is called by ${self.caller}, which has no API key: the handler checks ${self.by} and answers 401 before anything else`,
      },
      {
        id: 'AwsSolutions-COG4',
        reason: `${route.method} ${route.path} authenticates its caller by ${self.by}, not by a user pool`,
      },
    );
  }
}
