import { RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { gatewayCorsHeaders } from './cors';
import type { KeygateSettings } from './settings';
import { GATEWAY_ERRORS, type GatewayError, type GatewayResponseType } from '../lambdas/core/http/gateway-responses';
import { accessLogTemplate } from '../lambdas/core/usage/access-record';

/**
 * `Retry-After` for the over-limit answers, in seconds. A gateway response is static: it cannot
 * compute when a quota period ends (a day or longer), so an hour keeps clients from retrying
 * in a tight loop without promising a time.
 */
export const RETRY_AFTER_SECONDS: Partial<Record<GatewayResponseType, number>> = { THROTTLED: 1, QUOTA_EXCEEDED: 3600 };

/** The catch-all types keep the status API Gateway gives (a 415 stays a 415, a 504 a 504). */
export const KEEPS_STATUS: readonly GatewayResponseType[] = ['DEFAULT_4XX', 'DEFAULT_5XX'];

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

/** keygate's REST API and the log group of its stage's access log. */
export interface KeygateRestApi {
  readonly api: apigateway.RestApi;
  /** One JSON line per request (`keygate:accessLogRetentionDays`); the usage pipeline counts it. */
  readonly accessLogs: logs.LogGroup;
}

/**
 * keygate's REST API: regional, the usage identifier from the authorizer, JSON access logs with
 * the key id and never the key, execution logs for errors only. Its gateway answers come from
 * {@link addGatewayErrors}, once the CORS origins are known (the console's is the distribution's).
 *
 * @param restApiName - the API's name (the stack's name: several deployments can share an account).
 */
export function keygateRestApi(scope: Construct, settings: KeygateSettings, restApiName: string): KeygateRestApi {
  const accessLogs = new logs.LogGroup(scope, 'ApiAccessLogs', {
    // a setting's value is one of CloudWatch Logs' periods, which `RetentionDays` enumerates.
    retention: settings.accessLogRetentionDays as logs.RetentionDays,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const api = new apigateway.RestApi(scope, 'Api', {
    restApiName,
    description: 'keygate: an API protected by API keys',
    endpointConfiguration: { types: [apigateway.EndpointType.REGIONAL] },
    // the usage identifier comes from the authorizer, never from an x-api-key header.
    apiKeySourceType: apigateway.ApiKeySourceType.AUTHORIZER,
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
      // a ceiling per method for all callers, usage plans or not: forged keys each cost an
      // authorizer call before any usage plan applies (OWASP API4, unrestricted resource use).
      throttlingRateLimit: settings.stageRateLimit,
      throttlingBurstLimit: settings.stageBurstLimit,
    },
  });
  // the execution log group api gateway would create on first error never expires.
  const executionLogs = new logs.LogGroup(scope, 'ApiExecutionLogs', {
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
    ...(settings.waf
      ? []
      : [
          {
            id: 'AwsSolutions-APIG3',
            reason:
              'WAF is opt-in (keygate:waf) for its cost (about $9 a month plus $0.60 per million requests); without it the ' +
              "stage's default throttle caps unmetered traffic and usage plans meter each tenant",
          },
        ]),
    {
      id: 'AwsSolutions-COG4',
      reason: 'callers authenticate with API keys through the Lambda TOKEN authorizer: that is the product',
    },
    {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'the account-wide API Gateway logging role needs exactly this AWS-maintained policy',
    },
  );
  return { api, accessLogs };
}

/**
 * API Gateway's own answers (refused authorization, throttling, unknown routes, ...) in the
 * contract's error shape, from the table the local gateway answers with too, with the CORS
 * headers when origins are allowed.
 */
export function addGatewayErrors(api: apigateway.RestApi, corsOrigins: readonly string[] | undefined): void {
  const corsHeaders = gatewayCorsHeaders(corsOrigins);
  for (const type of Object.keys(GATEWAY_ERRORS) as GatewayResponseType[]) {
    const error: GatewayError = GATEWAY_ERRORS[type];
    const retryAfter = error.retryAfter === true ? (RETRY_AFTER_SECONDS[type] ?? 1) : undefined;
    api.addGatewayResponse(`Gateway${pascal(type)}`, {
      type: apigateway.ResponseType.of(type),
      statusCode: KEEPS_STATUS.includes(type) ? undefined : String(error.status),
      responseHeaders: {
        'Cache-Control': "'no-store'",
        ...(retryAfter === undefined ? {} : { 'Retry-After': `'${retryAfter}'` }),
        ...corsHeaders,
      },
      templates: { 'application/json': gatewayErrorTemplate(type) },
    });
  }
}

/**
 * One JSON object per request; who called (key id, tenant) but never the key. The fields are the
 * usage aggregator's record (`ACCESS_LOG_FIELDS`), so the log and its reader cannot drift.
 */
export function accessLogFormat(): apigateway.AccessLogFormat {
  return apigateway.AccessLogFormat.custom(accessLogTemplate());
}

/** `DEFAULT_4XX` → `Default4xx`, `keys` → `Keys`: a name as part of a construct id. */
export function pascal(name: string): string {
  return name
    .toLowerCase()
    .split(/[_\W]+/)
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');
}
