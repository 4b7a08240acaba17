import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * The headers of a request, as Node gives them: `req.headers` (duplicates joined or, for
 * `set-cookie`, in an array) or, better, `req.headersDistinct` (every value kept apart).
 * Names are lower-case: Node does not keep the client's casing.
 */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/** What the authorizer returned, for `requestContext.authorizer`. */
export interface ProxyEventAuthorizer {
  readonly principalId: string;
  /** The authorizer's `context`; numbers and booleans reach the backend as strings, as on API Gateway. */
  readonly context?: Readonly<Record<string, string | number | boolean | null | undefined>>;
  /** How long the authorizer took, in milliseconds (0 when its result came from the cache). */
  readonly integrationLatency: number;
}

/** Everything {@link buildProxyEvent} needs about one request. */
export interface ProxyEventInput {
  readonly method: string;
  /** The request path as received, without the stage or query string, e.g. `/v1/keys/key_1`. */
  readonly path: string;
  /** The matched resource template, e.g. `/v1/keys/{id}`. */
  readonly resource: string;
  /** The template's parameters, already URL-decoded. */
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly headers: RequestHeaders;
  /** The raw body; `undefined` or empty when there is none. */
  readonly body: Buffer | undefined;
  readonly accountId: string;
  readonly apiId: string;
  readonly stage: string;
  readonly requestId: string;
  /** API Gateway's id for the resource; defaults to one derived from the template. */
  readonly resourceId?: string;
  readonly sourceIp: string;
  /** e.g. `HTTP/1.1`. */
  readonly protocol: string;
  /** When the request arrived. */
  readonly receivedAt: Date;
  /** Absent for a route without an authorizer. */
  readonly authorizer?: ProxyEventAuthorizer;
}

/**
 * Builds the event API Gateway's REST (v1) Lambda proxy integration sends
 * (serverless-offline's `LambdaProxyIntegrationEvent.ts`, without its placeholder values):
 * single-value maps hold the last value of a repeated header or query parameter, the
 * multi-value maps hold them all, empty query and path maps are `null`, and a body whose
 * content type is not textual travels base64-encoded.
 *
 * Headers pass through untouched, `Authorization` included, as on API Gateway; nothing here
 * logs anything.
 */
export function buildProxyEvent(input: ProxyEventInput): APIGatewayProxyEvent {
  const { headers, multiValueHeaders } = headerMaps(input.headers);
  const { single: queryStringParameters, multi: multiValueQueryStringParameters } = queryMaps(input.query);
  const body = encodeBody(input.body, headers['content-type']);
  return {
    resource: input.resource,
    path: input.path,
    httpMethod: input.method,
    headers,
    multiValueHeaders,
    queryStringParameters,
    multiValueQueryStringParameters,
    pathParameters: Object.keys(input.pathParameters).length === 0 ? null : { ...input.pathParameters },
    stageVariables: null,
    requestContext: {
      accountId: input.accountId,
      apiId: input.apiId,
      stage: input.stage,
      requestId: input.requestId,
      httpMethod: input.method,
      path: `/${input.stage}${input.path}`,
      resourcePath: input.resource,
      resourceId: input.resourceId ?? resourceIdFor(input.resource),
      protocol: input.protocol,
      requestTimeEpoch: input.receivedAt.getTime(),
      requestTime: clfTime(input.receivedAt),
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: input.sourceIp,
        user: null,
        userAgent: headers['user-agent'] ?? null,
        userArn: null,
      },
      authorizer: input.authorizer === undefined ? null : authorizerContext(input.authorizer),
    },
    body: body.text,
    isBase64Encoded: body.isBase64Encoded,
  };
}

function headerMaps(raw: RequestHeaders): Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'> {
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const values = typeof value === 'string' ? [value] : [...value];
    if (values.length === 0) continue;
    const key = name.toLowerCase();
    headers[key] = values[values.length - 1];
    multiValueHeaders[key] = values;
  }
  return { headers, multiValueHeaders };
}

function queryMaps(query: URLSearchParams): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [name, value] of query) {
    // api gateway's single-value map keeps the last of repeated parameters.
    single[name] = value;
    (multi[name] ??= []).push(value);
  }
  return Object.keys(single).length === 0 ? { single: null, multi: null } : { single, multi };
}

/** Media types whose bodies travel as UTF-8 text; any other body is base64-encoded. */
const TEXT_TYPES = new Set([
  'application/json',
  'application/xml',
  'application/javascript',
  'application/x-www-form-urlencoded',
  'application/graphql',
  'application/x-ndjson',
]);

/** Whether a content type is textual; a missing one counts as text, as JSON clients often omit it. */
export function isTextual(contentType: string | undefined): boolean {
  if (contentType === undefined || contentType.trim() === '') return true;
  const type = contentType.split(';')[0].trim().toLowerCase();
  return type.startsWith('text/') || type.endsWith('+json') || type.endsWith('+xml') || TEXT_TYPES.has(type);
}

function encodeBody(
  body: Buffer | undefined,
  contentType: string | undefined,
): { text: string | null; isBase64Encoded: boolean } {
  if (body === undefined || body.length === 0) return { text: null, isBase64Encoded: false };
  if (isTextual(contentType)) return { text: body.toString('utf8'), isBase64Encoded: false };
  return { text: body.toString('base64'), isBase64Encoded: true };
}

function authorizerContext(authorizer: ProxyEventAuthorizer): Record<string, string | number | null> {
  const out: Record<string, string | number | null> = {};
  for (const [name, value] of Object.entries(authorizer.context ?? {})) {
    if (value === undefined) continue;
    // api gateway hands context values to a proxy integration as strings.
    out[name] = value === null ? null : String(value);
  }
  // these two are api gateway's own and win over context fields of the same name.
  out.principalId = authorizer.principalId;
  out.integrationLatency = authorizer.integrationLatency;
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** API Gateway's `requestTime`, in Common Log Format and UTC: `09/Apr/2015:12:34:56 +0000`. */
export function clfTime(at: Date): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const date = `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}`;
  return `${date}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;
}

/** A stable, API-Gateway-looking resource id (6 lower-case alphanumerics) for a template. */
function resourceIdFor(resource: string): string {
  let hash = 0x811c9dc5;
  for (const char of resource) {
    hash ^= char.codePointAt(0) ?? 0;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(36).padStart(6, '0').slice(-6);
}
