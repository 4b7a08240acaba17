import { keyFormatsOf } from './settings';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type { Construct } from 'constructs';
import type { AddedRoute, KeygateRoute } from './key-routes';
import type { ConsoleFiles } from './console-hosting';
import { Keygate } from './keygate';
import type { KeygateSettings } from './settings';

/** Properties of a {@link KeygateStack}. */
export interface KeygateStackProps extends StackProps {
  /** The deployment's settings, usually from {@link settingsFromContext}; validated again here. */
  readonly settings: KeygateSettings;
  /** The built operator console, for the `console` setting (see `KeygateProps.consoleFiles`). */
  readonly consoleFiles?: ConsoleFiles;
}

/**
 * keygate as a stack of its own: the {@link Keygate} construct and the outputs that
 * `npm run admin` and the guides read. The construct has the id `Default`, so its resources keep
 * the logical ids they have always had in this stack.
 */
export class KeygateStack extends Stack {
  /** Everything keygate builds: its API, table, authorizer, functions and the rest. */
  public readonly keygate: Keygate;
  constructor(scope: Construct, id: string, props: KeygateStackProps) {
    super(scope, id, props);
    const keygate = new Keygate(this, 'Default', {
      settings: props.settings,
      ...(props.consoleFiles === undefined ? {} : { consoleFiles: props.consoleFiles }),
    });
    this.keygate = keygate;
    const { settings, api, table, upstream, ratePlans } = keygate;

    if (upstream !== undefined) {
      new CfnOutput(this, 'UpstreamSecretArn', {
        value: upstream.secret.secretArn,
        description: 'The secret sent to the upstream as x-keygate-secret',
      });
    }
    new CfnOutput(this, 'ApiUrl', { value: api.url, description: 'The API base URL, stage included' });
    if (keygate.guarded !== undefined) {
      new CfnOutput(this, 'GuardedApiUrl', {
        value: keygate.guarded.api.url,
        description: 'The base URL of the front door and addRoute routes, stage included (keygate:gatewayAnswers)',
      });
      new CfnOutput(this, 'GuardedRestApiId', {
        value: keygate.guarded.api.restApiId,
        description: 'The REST API id of the front door and addRoute routes',
      });
    }
    if (keygate.console !== undefined) {
      new CfnOutput(this, 'ConsoleUrl', { value: keygate.console.url, description: 'The operator console' });
    }
    new CfnOutput(this, 'TableName', { value: table.table.tableName, description: 'The key table' });
    // what `npm run admin -- create-operator-key` reads to mint the first operator key.
    new CfnOutput(this, 'RestApiId', { value: api.restApiId, description: 'The REST API id' });
    new CfnOutput(this, 'StageName', { value: settings.stageName, description: 'The API stage' });
    new CfnOutput(this, 'KeyPrefix', { value: settings.keyPrefix, description: 'The prefix of every key' });
    // what the admin commands that mint a key straight on the table (the first operator key, a recovery) read.
    new CfnOutput(this, 'KeyFormat', {
      value: JSON.stringify(keyFormatsOf(settings)[0]),
      description: 'The format new keys are minted in (JSON)',
    });
    new CfnOutput(this, 'NamePrefix', {
      value: keygate.name,
      description: 'The prefix of run-time API keys and usage plans',
    });
    // what `npm run admin -- replay-events` publishes to.
    new CfnOutput(this, 'EventBusName', {
      value: settings.eventBusName ?? 'default',
      description: 'The EventBridge bus events are published to',
    });
    new CfnOutput(this, 'OperatorPlan', { value: settings.operatorPlan, description: "The operator tenant's plan" });
    new CfnOutput(this, 'Plans', {
      value: JSON.stringify(ratePlans.namedPlans),
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
