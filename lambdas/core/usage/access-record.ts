/**
 * The access log record: one JSON object per request, written by API Gateway on AWS (the stage's
 * access log format) and by the local gateway, and read by the usage aggregator. The fields are
 * defined once, here, as data: the CDK stack builds the log format from them and the parser reads
 * them back, so the two cannot drift.
 *
 * Who called is the key id and tenant from the authorizer's context, never the key.
 * Variables: https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html
 */

/** Each field of the record and the API Gateway `$context` variable that fills it. */
export const ACCESS_LOG_FIELDS = {
  requestId: '$context.requestId',
  /** CLF time, for people reading the log; the aggregator uses `requestTimeEpoch`. */
  time: '$context.requestTime',
  /** Milliseconds since the epoch: exact, unlike `time`, which has whole seconds. */
  requestTimeEpoch: '$context.requestTimeEpoch',
  stage: '$context.stage',
  ip: '$context.identity.sourceIp',
  method: '$context.httpMethod',
  resource: '$context.resourcePath',
  status: '$context.status',
  responseLength: '$context.responseLength',
  latencyMs: '$context.responseLatency',
  integrationLatencyMs: '$context.integrationLatency',
  authorizerLatencyMs: '$context.authorizer.latency',
  keyId: '$context.authorizer.principalId',
  tenantId: '$context.authorizer.tenantId',
  environment: '$context.authorizer.environment',
  errorType: '$context.error.responseType',
  userAgent: '$context.identity.userAgent',
} as const;

/** A field name of the access log record. */
export type AccessLogField = keyof typeof ACCESS_LOG_FIELDS;

/**
 * The access log format as API Gateway takes it: a JSON template whose values are `$context`
 * variables, each quoted, so a missing one still leaves valid JSON (`"-"`).
 */
export function accessLogTemplate(): string {
  return JSON.stringify(ACCESS_LOG_FIELDS);
}

/** One request as the access log tells it, after parsing. */
export interface AccessRecord {
  readonly requestId: string;
  /** When the request arrived, in milliseconds since the epoch. */
  readonly requestTimeEpoch: number;
  readonly stage: string;
  /** The client's address as the gateway saw it (never a forwarded header). */
  readonly ip: string;
  readonly method: string;
  readonly resource: string;
  readonly status: number;
  /** The whole request's latency in milliseconds, as the gateway measured it. */
  readonly latencyMs: number;
  /** Absent when the request was refused before the authorizer allowed it (no key, bad key). */
  readonly keyId?: string;
  readonly tenantId?: string;
  readonly environment?: string;
  /** API Gateway's response type for its own answers (`THROTTLED`, `UNAUTHORIZED`, ...). */
  readonly errorType?: string;
  readonly userAgent?: string;
  /**
   * The id of the log event that carried the record (CloudWatch Logs gives every event one);
   * not part of the line. Redelivery is recognised by it, by `requestId` when it is absent.
   */
  readonly eventId?: string;
}

/** The line the gateway writes for a request: every field of the definition, `-` for a missing one. */
export function formatAccessRecord(record: AccessRecord): string {
  const text = (value: string | number | undefined): string =>
    value === undefined || value === '' ? '-' : String(value);
  const line: Record<AccessLogField, string> = {
    requestId: text(record.requestId),
    time: clfTime(record.requestTimeEpoch),
    requestTimeEpoch: text(record.requestTimeEpoch),
    stage: text(record.stage),
    ip: text(record.ip),
    method: text(record.method),
    resource: text(record.resource),
    status: text(record.status),
    responseLength: '-',
    latencyMs: text(record.latencyMs),
    integrationLatencyMs: '-',
    authorizerLatencyMs: '-',
    keyId: text(record.keyId),
    tenantId: text(record.tenantId),
    environment: text(record.environment),
    errorType: text(record.errorType),
    userAgent: text(record.userAgent),
  };
  return JSON.stringify(line);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `$context.requestTime`'s format: `03/Dec/2026:06:50:52 +0000`. */
function clfTime(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${two(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} +0000`
  );
}

/** A value API Gateway wrote, or `undefined` for its placeholder of a missing one. */
function present(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed === '' || trimmed === '-' ? undefined : trimmed;
}

/** A whole, non-negative number written as text. */
function whole(value: unknown): number | undefined {
  const text = present(value);
  return text !== undefined && /^\d{1,16}$/.test(text) ? Number(text) : undefined;
}

/**
 * The record in one access log line, or `undefined` for anything that is not one: not JSON, not
 * an object, or without a request id, a time, a stage or a three-digit status. A missing key id
 * (the request was refused before the authorizer allowed it) leaves the record to count for the
 * stage alone; a key id without a tenant is not trusted to name a key and is dropped too.
 */
export function parseAccessRecord(line: string): AccessRecord | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const field = raw as Record<string, unknown>;
  const requestId = present(field.requestId);
  const requestTimeEpoch = whole(field.requestTimeEpoch);
  const stage = present(field.stage);
  const status = whole(field.status);
  if (requestId === undefined || requestTimeEpoch === undefined || stage === undefined) return undefined;
  if (status === undefined || status < 100 || status > 599) return undefined;
  const keyId = present(field.keyId);
  const tenantId = present(field.tenantId);
  const caller = keyId !== undefined && tenantId !== undefined ? { keyId, tenantId } : {};
  const optional = (name: 'environment' | 'errorType' | 'userAgent'): Record<string, string> => {
    const value = present(field[name]);
    return value === undefined ? {} : { [name]: value };
  };
  return {
    requestId,
    requestTimeEpoch,
    stage,
    ip: present(field.ip) ?? '-',
    method: present(field.method) ?? '-',
    resource: present(field.resource) ?? '-',
    status,
    latencyMs: whole(field.latencyMs) ?? 0,
    ...caller,
    ...(keyId !== undefined && tenantId !== undefined ? optional('environment') : {}),
    ...optional('errorType'),
    ...optional('userAgent'),
  };
}
