import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as events from 'aws-cdk-lib/aws-events';
import type { Construct } from 'constructs';
import type { FunctionName } from '../lambdas/core/http/routes';
import type { KeygateAlarms } from './alarms';
import type { AuthorizerCacheFlush } from './authorizer-cache-flush';
import type { EventPublisher } from './event-publisher';
import type { KeyAuthorizer } from './key-authorizer';
import type { KeyNotices } from './key-notices';
import type { AddedRoute, KeygateRoute, KeygateRoutes } from './key-routes';
import type { KeyTable } from './key-table';
import { Keygate } from './keygate';
import type { KeygateFunction } from './keygate-function';
import type { PlanReconcileQueue } from './plan-reconcile-queue';
import type { RatePlans } from './rate-plans';
import type { KeygateSettings } from './settings';
import type { KeygateTeardown } from './teardown';
import type { KeygateUpstream } from './upstream';
import type { KeygateWaf } from './waf';

/** Properties of a {@link KeygateStack}. */
export interface KeygateStackProps extends StackProps {
  /** The deployment's settings, usually from {@link settingsFromContext}; validated again here. */
  readonly settings: KeygateSettings;
}

/**
 * keygate as a stack of its own: the {@link Keygate} construct and the outputs that
 * `npm run admin` and the guides read. The construct has the id `Default`, so its resources keep
 * the logical ids they have always had in this stack.
 */
export class KeygateStack extends Stack {
  /** Everything keygate builds. */
  public readonly keygate: Keygate;
  /** The REST API. */
  public readonly api: apigateway.RestApi;
  /** The key table. */
  public readonly table: KeyTable;
  /** The TOKEN authorizer on every route. */
  public readonly keyAuthorizer: KeyAuthorizer;
  /** The Lambda behind each function name. */
  public readonly functions: Readonly<Record<FunctionName, KeygateFunction>>;
  /** The usage plans of the shared plans. */
  public readonly ratePlans: RatePlans;
  /** The later flushes of the authorizer cache. */
  public readonly cacheFlush: AuthorizerCacheFlush;
  /** The queue and Lambda that apply plan changes to API Gateway. */
  public readonly planReconciler: PlanReconcileQueue;
  /** The outbox's relay: the table's stream to EventBridge. */
  public readonly eventPublisher: EventPublisher;
  /** The bus of keygate's own, when `keygate:eventBusName` is set. */
  public readonly eventBus?: events.EventBus;
  /** The daily expiry and staleness notices. */
  public readonly notices: KeyNotices;
  /** Your own Lambda routes; add them with {@link addRoute}. */
  public readonly routes: KeygateRoutes;
  /** The front door to `keygate:upstreamUrl`, when that is set. */
  public readonly upstream?: KeygateUpstream;
  /** The alarms and their optional topic. */
  public readonly alarms: KeygateAlarms;
  /** The web ACL in front of the stage, when `keygate:waf` is on. */
  public readonly waf: KeygateWaf | undefined;
  /** Removes the run-time API keys and enterprise usage plans when the stack is deleted. */
  public readonly teardown: KeygateTeardown;

  constructor(scope: Construct, id: string, props: KeygateStackProps) {
    super(scope, id, props);
    const keygate = new Keygate(this, 'Default', { settings: props.settings });
    this.keygate = keygate;
    ({
      api: this.api,
      table: this.table,
      keyAuthorizer: this.keyAuthorizer,
      functions: this.functions,
      ratePlans: this.ratePlans,
      cacheFlush: this.cacheFlush,
      planReconciler: this.planReconciler,
      eventPublisher: this.eventPublisher,
      eventBus: this.eventBus,
      notices: this.notices,
      routes: this.routes,
      upstream: this.upstream,
      alarms: this.alarms,
      waf: this.waf,
      teardown: this.teardown,
    } = keygate);
    const { settings } = keygate;

    if (this.upstream !== undefined) {
      new CfnOutput(this, 'UpstreamSecretArn', {
        value: this.upstream.secret.secretArn,
        description: 'The secret sent to the upstream as x-keygate-secret',
      });
    }
    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'The API base URL, stage included' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'The key table' });
    // what `npm run admin -- create-operator-key` reads to mint the first operator key.
    new CfnOutput(this, 'RestApiId', { value: this.api.restApiId, description: 'The REST API id' });
    new CfnOutput(this, 'StageName', { value: settings.stageName, description: 'The API stage' });
    new CfnOutput(this, 'KeyPrefix', { value: settings.keyPrefix, description: 'The prefix of every key' });
    new CfnOutput(this, 'NamePrefix', {
      value: keygate.name,
      description: 'The prefix of run-time API keys and usage plans',
    });
    new CfnOutput(this, 'OperatorPlan', { value: settings.operatorPlan, description: "The operator tenant's plan" });
    new CfnOutput(this, 'Plans', {
      value: JSON.stringify(this.ratePlans.namedPlans),
      description: 'The shared plans by usage plan name',
    });
    new CfnOutput(this, 'FirstOperatorKey', {
      value: `npm run admin -- create-operator-key --stack ${this.stackName} --region ${this.region}`,
      description: 'Run this once, with your own AWS credentials, to mint the first operator key',
    });
  }

  /**
   * Adds a Lambda route of your own behind the key authorizer (see {@link Keygate.addRoute}).
   *
   * @example stack.addRoute({ method: 'DELETE', path: '/v1/orders/{id}', entry: path.join(__dirname, 'orders.ts'), roles: ['owner', 'admin'] });
   */
  addRoute(route: KeygateRoute): AddedRoute {
    return this.keygate.addRoute(route);
  }

  /** Adds a stage the key authorizer guards besides keygate's own (see {@link Keygate.protectStage}). */
  protectStage(stage: apigateway.IStage): void {
    this.keygate.protectStage(stage);
  }
}
