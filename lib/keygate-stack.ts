import { CfnOutput, Duration, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ErrorCode } from '../lambdas/core/errors';
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
   * Extra environment variables, from the deployment's settings.
   *
   * @default - `TABLE_NAME` only
   */
  readonly environment?: (settings: KeygateSettings) => Record<string, string>;
}

/**
 * The Lambda behind each function name that {@link ROUTES} uses. A new route plugs in with a
 * line in `ROUTES` and, for a new function, an entry here.
 */
export const ROUTE_FUNCTIONS: Readonly<Partial<Record<FunctionName, RouteFunctionSpec>>> = {
  account: { entry: 'account/index.ts', access: 'read' },
};

/** A gateway response in the contract's error shape. */
interface GatewayError {
  readonly type: apigateway.ResponseType;
  /** @default - the status API Gateway gives this response type */
  readonly status?: string;
  readonly code: ErrorCode;
  /** A sentence, or `$context.error.messageString` (already a quoted JSON string). */
  readonly message: string;
  readonly headers?: Record<string, string>;
}

const CONTEXT_MESSAGE = '$context.error.messageString';

/**
 * API Gateway's own answers (refused authorization, throttling, unknown routes, ...) rewritten
 * into `{"error":{"code","message"}}`, so clients parse one error shape whoever answered.
 */
export const GATEWAY_ERRORS: readonly GatewayError[] = [
  {
    type: apigateway.ResponseType.UNAUTHORIZED,
    status: '401',
    code: 'unauthorized',
    message: 'a valid API key is required in the Authorization header',
  },
  {
    type: apigateway.ResponseType.ACCESS_DENIED,
    status: '403',
    code: 'forbidden',
    message: 'this key is not allowed to do that',
  },
  {
    // api gateway answers a path or method it does not know with this 403; it is a 404.
    type: apigateway.ResponseType.MISSING_AUTHENTICATION_TOKEN,
    status: '404',
    code: 'not_found',
    message: 'no such route',
  },
  { type: apigateway.ResponseType.RESOURCE_NOT_FOUND, status: '404', code: 'not_found', message: 'no such route' },
  {
    // a usage identifier the authorizer returned is missing or disabled: the tenant has no plan.
    type: apigateway.ResponseType.INVALID_API_KEY,
    status: '403',
    code: 'forbidden',
    message: "this key's tenant has no active plan",
  },
  {
    type: apigateway.ResponseType.THROTTLED,
    status: '429',
    code: 'rate_limited',
    message: "too many requests for this plan's rate limit; retry after the Retry-After delay",
    headers: { 'Retry-After': "'1'" },
  },
  {
    type: apigateway.ResponseType.QUOTA_EXCEEDED,
    status: '429',
    code: 'quota_exceeded',
    message: "this plan's request quota is used up for the current period",
    // quota periods are a day or longer and a gateway response cannot compute the reset time;
    // an hour keeps clients from retrying in a tight loop.
    headers: { 'Retry-After': "'3600'" },
  },
  {
    type: apigateway.ResponseType.REQUEST_TOO_LARGE,
    status: '413',
    code: 'payload_too_large',
    message: 'the request is too large',
  },
  { type: apigateway.ResponseType.DEFAULT_4XX, code: 'invalid_request', message: CONTEXT_MESSAGE },
  { type: apigateway.ResponseType.DEFAULT_5XX, code: 'internal_error', message: 'something went wrong on our side' },
];

/** The JSON body template of a gateway response. */
export function gatewayErrorTemplate(code: ErrorCode, message: string): string {
  const text = message === CONTEXT_MESSAGE ? CONTEXT_MESSAGE : JSON.stringify(message);
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
    for (const error of GATEWAY_ERRORS) {
      this.api.addGatewayResponse(`Gateway${pascal(error.type.responseType)}`, {
        type: error.type,
        statusCode: error.status,
        responseHeaders: { 'Cache-Control': "'no-store'", ...error.headers },
        templates: { 'application/json': gatewayErrorTemplate(error.code, error.message) },
      });
    }

    const functions: Partial<Record<FunctionName, KeygateFunction>> = {};
    const integrations: Partial<Record<FunctionName, apigateway.LambdaIntegration>> = {};
    for (const [name, spec] of Object.entries(ROUTE_FUNCTIONS) as [FunctionName, RouteFunctionSpec][]) {
      const fn = new KeygateFunction(this, `${pascal(name)}Function`, {
        entry: spec.entry,
        description: `keygate: the ${name} routes`,
        environment: spec.environment?.(settings),
      });
      fn.useTable(this.table, spec.access);
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

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'The API base URL, stage included' });
    new CfnOutput(this, 'TableName', { value: this.table.table.tableName, description: 'The key table' });
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
        reason: "the account-wide API Gateway logging role needs exactly this AWS-maintained policy",
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
