import * as z from 'zod/mini';
import { ApiError, errorBody, invalidRequest } from './errors';
import { describeIssue, explainIssue } from './issue-messages';
import type { AuthorizerContext } from '../model';
import { ROLES, ENVIRONMENTS } from '../keys/format';
import { PLAN_NAMES } from '../model';
import { describeError, type Logger } from '../support/logger';

/** Requests bodies larger than this are refused with 413 before they are parsed. */
export const MAX_BODY_BYTES = 16 * 1024;

/** A request as the domain sees it, whatever carried it (API Gateway or the local gateway). */
export interface ApiRequest {
  readonly method: string;
  /** The route template, e.g. `/v1/keys/{id}`. */
  readonly resource: string;
  readonly pathParameters: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string>>;
  /** Request headers by lower-case name (the last value of a repeated one). @default - none */
  readonly headers?: Readonly<Record<string, string>>;
  /** The raw body as text, `undefined` when there is none. */
  readonly body: string | undefined;
  /** Who is calling, from the authorizer; never from the path or body. */
  readonly caller: AuthorizerContext;
}

/** A response in the shape both API Gateway's proxy integration and the local gateway send. */
export interface HttpResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** A domain route handler: one request in, one response out. */
export type RouteHandler = (request: ApiRequest) => Promise<HttpResponse>;

/** A request to a route without a key (`auth: 'none'`): no caller, whatever the event carries. */
export type PublicRequest = Omit<ApiRequest, 'caller'>;
/** A handler of such a route: it authenticates its caller from the request itself. */
export type PublicRouteHandler = (request: PublicRequest) => Promise<HttpResponse>;

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' };

/** A JSON response; 204 has no body. */
export function jsonResponse(statusCode: number, body?: unknown): HttpResponse {
  return { statusCode, headers: { ...JSON_HEADERS }, body: body === undefined ? '' : JSON.stringify(body) };
}

/**
 * Maps anything thrown to the contract's error shape: an {@link ApiError} as itself, anything
 * else as a generic 500 whose cause goes to the log and never to the caller.
 */
export function errorResponse(error: unknown, logger: Logger): HttpResponse {
  if (error instanceof ApiError) {
    return {
      statusCode: error.status,
      headers: { ...JSON_HEADERS, ...error.headers },
      body: errorBody(error.code, error.message),
    };
  }
  logger.error('unhandled error', describeError(error));
  return {
    statusCode: 500,
    headers: { ...JSON_HEADERS },
    body: errorBody('internal_error', 'something went wrong on our side'),
  };
}

/** The one media type request bodies are read as. */
export const JSON_MEDIA_TYPE = 'application/json';

/**
 * Whether a `Content-Type` says JSON: `application/json`, in any case, with no charset or
 * `utf-8` (RFC 8259 JSON is UTF-8; a body declared in another charset would be misread).
 */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...parameters] = header.split(';').map((part) => part.trim().toLowerCase());
  if (type !== JSON_MEDIA_TYPE) return false;
  return parameters.every((parameter) => {
    const [name, value = ''] = parameter.split('=').map((part) => part.trim());
    return name !== 'charset' || value.replace(/^"(.*)"$/, '$1') === 'utf-8';
  });
}

/**
 * Parses and validates a JSON body: 413 over `maxBytes` ({@link MAX_BODY_BYTES} unless the route
 * takes more), 415 for a body whose
 * `Content-Type` is not JSON (a form-encoded body must not be read as JSON by accident), 400 for
 * broken JSON, a non-object, unknown fields or wrong types, naming the field at fault. No body
 * needs no `Content-Type`.
 */
export function parseBody<T>(
  request: Pick<ApiRequest, 'body' | 'headers'>,
  schema: z.ZodMiniType<T>,
  maxBytes = MAX_BODY_BYTES,
): T {
  const text = request.body ?? '';
  if (Buffer.byteLength(text, 'utf8') > maxBytes) {
    throw new ApiError('payload_too_large', `the request body must be at most ${maxBytes} bytes`);
  }
  let json: unknown = {};
  if (text.trim() !== '') {
    // the type the client sent is never echoed: it is the client's text, and may hold anything.
    if (!isJsonContentType(request.headers?.['content-type'])) {
      throw new ApiError(
        'unsupported_media_type',
        `the request body must be JSON sent with Content-Type: ${JSON_MEDIA_TYPE} (charset utf-8, if any)`,
      );
    }
    try {
      json = JSON.parse(text);
    } catch {
      throw invalidRequest('the request body is not valid JSON');
    }
  }
  return validate(schema, json, 'body');
}

/** Validates a value against a schema, turning the first issue into a 400 that names the field. */
export function validate<T>(schema: z.ZodMiniType<T>, value: unknown, where: string): T {
  const result = schema.safeParse(value, { error: explainIssue });
  if (result.success) return result.data;
  throw invalidRequest(describeIssue(result.error.issues[0], where));
}

/** A body or query that must carry nothing: any field in it is unknown (400). */
export const emptySchema = z.strictObject({});

/** A listing's `limit` query parameter: a whole number from 1 to 100, as text. */
export const limitQuerySchema = z.optional(
  z.pipe(
    z.pipe(z.string().check(z.regex(/^\d+$/, 'must be a whole number from 1 to 100')), z.transform(Number)),
    z.number().check(z.int(), z.minimum(1, 'must be from 1 to 100'), z.maximum(100, 'must be from 1 to 100')),
  ),
);

/** A listing's opaque `cursor` query parameter, checked in full by the listing that reads it. */
export const cursorQuerySchema = z.optional(z.string().check(z.minLength(1), z.maxLength(1024)));

/**
 * Bidirectional controls (embeddings, overrides, isolates and marks): in a name shown in a
 * listing or a dashboard they can reorder what follows (`invoice\u202Egpj.exe` reads as
 * `invoiceexe.jpg`).
 */
const BIDI_CONTROLS = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/u;
/**
 * A name made only of whitespace and characters that render as nothing (zero-width spaces and
 * joiners, word joiner, byte-order mark, soft hyphen, fillers): it looks blank, or like another
 * name, wherever it is shown. Inside a visible name they stay allowed (emoji sequences use them).
 */
const INVISIBLE_ONLY = /^[\s\p{Default_Ignorable_Code_Point}]*$/u;
/** A lone UTF-16 surrogate: not a character, and not encodable as UTF-8 (it would become U+FFFD). */
const LONE_SURROGATE = /\p{Surrogate}/u;

/**
 * Printable names: 1–100 characters, no control or bidirectional control characters, no lone
 * surrogates, and something visible in them.
 */
export const nameSchema = z.string().check(
  z.trim(),
  z.minLength(1, 'must be 1 to 100 printable characters'),
  z.maxLength(100, 'must be 1 to 100 printable characters'),
  z.refine((name: string) => !/\p{Cc}/u.test(name), 'must not contain control characters'),
  z.refine((name: string) => !BIDI_CONTROLS.test(name), 'must not contain bidirectional control characters'),
  z.refine((name: string) => !LONE_SURROGATE.test(name), 'must be valid Unicode text (it contains a lone surrogate)'),
  z.refine((name: string) => !INVISIBLE_ONLY.test(name), 'must contain a visible character'),
);

/** The caller context from the authorizer, checked: a malformed one is an internal error. */
export const callerSchema = z.object({
  tenantId: z.string().check(z.minLength(1)),
  keyId: z.string().check(z.minLength(1)),
  environment: z.enum(ENVIRONMENTS),
  role: z.enum(ROLES),
  plan: z.enum(PLAN_NAMES),
  scoped: z.optional(z.literal('true')),
  // a member's session: its id, the member's user id, and when it ends (see sessions/authorize-session.ts).
  session: z.optional(z.string()),
  userId: z.optional(z.string()),
  sessionExpiresAt: z.optional(z.string()),
  // a session opened with a sign-in link: the key that minted the link.
  signInLinkBy: z.optional(z.string()),
});
