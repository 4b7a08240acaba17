import { ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack, TimeZone, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as targets from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { GATEWAY_ERRORS, type GatewayError, type GatewayResponseType } from '../lambdas/core/gateway-responses';
import { ROUTES, type FunctionName } from '../lambdas/core/routes';
import { KeyAuthorizer } from './key-authorizer';
import { KeyTable } from './key-table';
import { KeygateFunction, type TableAccess } from './keygate-function';
import { resolveSettings, type KeygateSettings } from './settings';

/** How the stack builds the Lambda behind a {@link FunctionName}. */
export interface RouteFunctionSpec {
  /** The handler module, relative to `lambdas/`. */
  readonly entry: string;
  /** How much of the key table the function may touch. */
  readonly access: TableAccess;
  /**
   * Whether the function mints keys: it gets the key prefix as `KEY_PREFIX`.
   *
   * @default false
   */
  readonly mintsKeys?: boolean;
  /**
   * Whether the function flushes the stage's authorizer cache, so that a revocation takes
   * effect at once: it gets `REST_API_ID` and `STAGE_NAME` and the one permission to do so.
   *
   * @default false
   */
  readonly flushesAuthorizerCache?: boolean;
}

/**
 * The Lambda behind each function name that {@link ROUTES} uses. A new route plugs in with a
 * line in `ROUTES` and, for a new function, an entry here.
 */
export const ROUTE_FUNCTIONS: Readonly<Partial<Record<FunctionName, RouteFunctionSpec>>> = {
  account: { entry: 'account/index.ts', access: 'read' },
  keys: { entry: 'keys/index.ts', access: 'readWrite', mintsKeys: true, flushesAuthorizerCache: true },
};

/**
 * `Retry-After` for the over-limit answers, in seconds. A gateway response is static: it cannot
 * compute when a quota period ends (a day or longer), so an hour keeps clients from retrying
 * in a tight loop without promising a time.
 */
const RETRY_AFTER_SECONDS: Partial<Record<GatewayResponseType, number>> = { THROTTLED: 1, QUOTA_EXCEEDED: 3600 };

/** The catch-all types keep the status API Gateway gives (a 415 stays a 415, a 504 a 504). */
const KEEPS_STATUS: readonly GatewayResponseType[] = ['DEFAULT_4XX', 'DEFAULT_5XX'];

/**
 * The JSON body template of a gateway response, in the contract's error shape. `DEFAULT_4XX`
 * stands for several errors (bad body, unsupported media type, ...), so it carries API
 * Gateway's own message, `$context.error.messageString`, which is already a quoted JSON string.
 */
export function gatewayErrorTemplate(type: GatewayResponseType): string {
  const { code, message } = GATEWAY_ERRORS[type];
  const text = type === 'DEFAULT_4XX' ? '$context.error.messageString' : JSON.stringify(message);
  return `{"error":{"code":${JSON.stringify(code)},"message":${text}}}`;
}

/** Properties of a {@link KeygateStack}. */
export interface KeygateStackProps extends StackProps {
  /** The deployment's settings, usually from {@link settingsFromContext}; validated again here. */
  readonly settings: KeygateSettings;
}

/**
 * keygate in one stack: the key table, the REST API with its TOKEN authorizer and gateway
 * responses in the contract's error shape, and one Lambda per route function.
 */
export class KeygateStack extends Stack {
  /** The REST API. */
  public readonly api: apigateway.RestApi;
  /** The key table. */
  public readonly table: KeyTable;
  /** The TOKEN authorizer on every route. */
  public readonly keyAuthorizer: KeyAuthorizer;
  /** The Lambda behind each function name of {@link ROUTE_FUNCTIONS}. */
  public readonly functions: Readonly<Partial<Record<FunctionName, KeygateFunction>>>;

  constructor(scope: Construct, id: string, props: KeygateStackProps) {
    super(scope, id, props);
    const settings = resolveSettings(props.settings);

    this.table = new KeyTable(this, 'Keys');
    this.keyAuthorizer = new KeyAuthorizer(this, 'KeyAuthorizer', {
      table: this.table,
      keyPrefix: settings.keyPrefix,
      acceptBareKeys: settings.acceptBareKeys,
      resultsCacheTtl: Duration.seconds(settings.authorizerCacheTtlSeconds),
    });
    this.api = this.restApi(settings);
    this.addGatewayErrors();

    const functions: Partial<Record<FunctionName, KeygateFunction>> = {};
    const integrations: Partial<Record<FunctionName, apigateway.LambdaIntegration>> = {};
    for (const [name, spec] of Object.entries(ROUTE_FUNCTIONS) as [FunctionName, RouteFunctionSpec][]) {
      const fn = new KeygateFunction(this, `${pascal(name)}Function`, {
        entry: spec.entry,
        description: `keygate: the ${name} routes`,
        environment: spec.mintsKeys === true ? { KEY_PREFIX: settings.keyPrefix } : {},
      });
      fn.useTable(this.table, spec.access);
      if (spec.flushesAuthorizerCache === true) {
        fn.addEnvironment('REST_API_ID', this.api.restApiId);
        fn.addEnvironment('STAGE_NAME', settings.stageName);
        fn.addToRolePolicy(this.flushAuthorizerCacheStatement(settings.stageName));
      }
      functions[name] = fn;
      // no test-invoke permission: a console test call would skip the authorizer anyway.
      integrations[name] = new apigateway.LambdaIntegration(fn, { allowTestInvoke: false });
    }
    this.functions = functions;

    for (const route of ROUTES) {
      const integration = integrations[route.function];
      if (integration === undefined) {
        throw new Error(
          `route ${route.method} ${route.path} needs function ${JSON.stringify(route.function)}, ` +
            `which has no entry in ROUTE_FUNCTIONS (lib/keygate-stack.ts)`,
        );
      }
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, {
        authorizer: this.keyAuthorizer.authorizer,
        authorizationType: apigateway.AuthorizationType.CUSTOM,
      });
    }

    if (settings.authorizerCacheTtlSeconds > 0) this.flushAtMidnight(settings.stageName);

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'The API base URL, stage included' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'The key table' });
  }

  /** `FlushStageAuthorizersCache` on this API's stage, which IAM knows as a `DELETE`. */
  private flushAuthorizerCacheStatement(stageName: string): iam.PolicyStatement {
    return new iam.PolicyStatement({
      actions: ['apigateway:DELETE'],
      resources: [
        this.formatArn({
          service: 'apigateway',
          account: '',
          resource: `/restapis/${this.api.restApiId}/stages/${stageName}/cache/authorizers`,
          arnFormat: ArnFormat.NO_RESOURCE_NAME,
        }),
      ],
    });
  }

  /**
   * Flushes the authorizer cache at 00:00 UTC, when keys expire: without it a cached Allow
   * would outlive its key's expiry by up to the cache TTL. EventBridge Scheduler calls the
   * API itself, so no Lambda is involved.
   */
  private flushAtMidnight(stageName: string): void {
    new scheduler.Schedule(this, 'MidnightAuthorizerCacheFlush', {
      description: 'keygate: flush the authorizer cache when keys expire at 00:00 UTC',
      schedule: scheduler.ScheduleExpression.cron({ minute: '0', hour: '0', timeZone: TimeZone.ETC_UTC }),
      target: new targets.Universal({
        service: 'apigateway',
        action: 'flushStageAuthorizersCache',
        input: scheduler.ScheduleTargetInput.fromObject({ RestApiId: this.api.restApiId, StageName: stageName }),
        policyStatements: [this.flushAuthorizerCacheStatement(stageName)],
        // a flush that fails is not worth retrying hours later: the next one is a day away.
        maxEventAge: Duration.hours(1),
      }),
    });
  }

  /**
   * API Gateway's own answers (refused authorization, throttling, unknown routes, ...) in the
   * contract's error shape, from the table the local gateway answers with too.
   */
  private addGatewayErrors(): void {
    for (const type of Object.keys(GATEWAY_ERRORS) as GatewayResponseType[]) {
      const error: GatewayError = GATEWAY_ERRORS[type];
      const retryAfter = error.retryAfter === true ? (RETRY_AFTER_SECONDS[type] ?? 1) : undefined;
      this.api.addGatewayResponse(`Gateway${pascal(type)}`, {
        type: apigateway.ResponseType.of(type),
        statusCode: KEEPS_STATUS.includes(type) ? undefined : String(error.status),
        responseHeaders: {
          'Cache-Control': "'no-store'",
          ...(retryAfter === undefined ? {} : { 'Retry-After': `'${retryAfter}'` }),
        },
        templates: { 'application/json': gatewayErrorTemplate(type) },
      });
    }
  }

  private restApi(settings: KeygateSettings): apigateway.RestApi {
    const accessLogs = new logs.LogGroup(this, 'ApiAccessLogs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const api = new apigateway.RestApi(this, 'Api', {
      restApiName: this.stackName,
      description: 'keygate: an API protected by API keys',
      endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
      // api gateway writes logs only once the account-wide CloudWatch role is set (per region);
      // a fresh account has none, so the stack sets it and keeps it when the stack goes.
      cloudWatchRole: true,
      cloudWatchRoleRemovalPolicy: RemovalPolicy.RETAIN,
      deployOptions: {
        stageName: settings.stageName,
        tracingEnabled: false,
        metricsEnabled: true,
        // errors only, and never request data: it would hold the Authorization header.
        loggingLevel: apigateway.MethodLoggingLevel.ERROR,
        dataTraceEnabled: false,
        accessLogDestination: new apigateway.LogGroupLogDestination(accessLogs),
        accessLogFormat: accessLogFormat(),
      },
    });
    // the execution log group api gateway would create on first error never expires.
    const executionLogs = new logs.LogGroup(this, 'ApiExecutionLogs', {
      logGroupName: `API-Gateway-Execution-Logs_${api.restApiId}/${settings.stageName}`,
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    api.deploymentStage.node.addDependency(executionLogs);

    Validations.of(api).acknowledge(
      {
        id: 'AwsSolutions-APIG2',
        reason:
          'every handler validates its input (unknown fields, types, sizes) and answers 400 in the contract shape; ' +
          "api gateway's request validator would answer in a shape of its own",
      },
      {
        id: 'AwsSolutions-APIG3',
        reason: 'WAF is a per-deployment choice with its own cost; throttling is done by usage plans per tenant',
      },
      {
        id: 'AwsSolutions-COG4',
        reason: 'callers authenticate with API keys through the Lambda TOKEN authorizer: that is the product',
      },
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason: 'the account-wide API Gateway logging role needs exactly this AWS-maintained policy',
      },
    );
    return api;
  }
}

/** One JSON object per request; who called (key id, tenant) but never the key. */
function accessLogFormat(): apigateway.AccessLogFormat {
  const f = apigateway.AccessLogField;
  return apigateway.AccessLogFormat.custom(
    JSON.stringify({
      requestId: f.contextRequestId(),
      time: f.contextRequestTime(),
      ip: f.contextIdentitySourceIp(),
      method: f.contextHttpMethod(),
      resource: f.contextResourcePath(),
      status: f.contextStatus(),
      responseLength: f.contextResponseLength(),
      latencyMs: f.contextResponseLatency(),
      integrationLatencyMs: f.contextIntegrationLatency(),
      authorizerLatencyMs: f.contextAuthorizerLatency(),
      keyId: f.contextAuthorizerPrincipalId(),
      tenantId: f.contextAuthorizer('tenantId'),
      environment: f.contextAuthorizer('environment'),
      errorType: f.contextErrorResponseType(),
      userAgent: f.contextIdentityUserAgent(),
    }),
  );
}

function pascal(name: string): string {
  return name
    .toLowerCase()
    .split(/[_\W]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
