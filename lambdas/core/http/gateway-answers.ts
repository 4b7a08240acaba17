/** The refusals of a protected route whose answer a deployment may set. */
export const GATEWAY_ANSWER_KINDS = ['unauthorized', 'forbidden', 'throttled', 'suspended'] as const;
/** One of {@link GATEWAY_ANSWER_KINDS}. */
export type GatewayAnswerKind = (typeof GATEWAY_ANSWER_KINDS)[number];

/** A configured answer: its status, and its body exactly as sent. */
export interface GatewayAnswer {
  readonly status: number;
  readonly body: string;
}

/** The configured answers of the protected routes; a kind left out keeps keygate's own answer. */
export type GatewayAnswers = Readonly<Partial<Record<GatewayAnswerKind, GatewayAnswer>>>;

/** The status of an answer whose `status` is left out. */
export const DEFAULT_ANSWER_STATUS: Readonly<Record<GatewayAnswerKind, number>> = {
  unauthorized: 401,
  forbidden: 403,
  throttled: 429,
  suspended: 403,
};

/** The largest body: a gateway response template is a small static text. */
export const MAX_ANSWER_BYTES = 4096;

/**
 * Reads `gatewayAnswers`: an object (or its JSON text) of `{"status"?, "body"}` per kind. A
 * string body is sent byte for byte, any other JSON value as compact JSON. A body may not hold
 * `$`: API Gateway substitutes `$context...` variables in a gateway response's template. A
 * suspended tenant's key and a key the policy refuses are both API Gateway's `ACCESS_DENIED`,
 * which has one status per API, so the two statuses must match.
 *
 * @returns the answers; `undefined` when the setting is absent or empty.
 * @throws Error naming the setting (and the entry at fault), the value received and what is expected.
 */
export function parseGatewayAnswers(name: string, value: unknown): GatewayAnswers | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let parsed: unknown = value;
  if (typeof value === 'string') {
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
  }
  if (!isRecord(parsed)) {
    throw new Error(
      `${name} must be a JSON object of ${GATEWAY_ANSWER_KINDS.join(', ')}, each {"status"?, "body"}, received ${show(value)}`,
    );
  }
  const answers: Partial<Record<GatewayAnswerKind, GatewayAnswer>> = {};
  for (const [kind, entry] of Object.entries(parsed)) {
    if (!(GATEWAY_ANSWER_KINDS as readonly string[]).includes(kind)) {
      throw new Error(
        `${name}: unknown answer ${JSON.stringify(kind)}; the answers are ${GATEWAY_ANSWER_KINDS.join(', ')}`,
      );
    }
    answers[kind as GatewayAnswerKind] = answerOf(`${name}: ${kind}`, kind as GatewayAnswerKind, entry);
  }
  const forbidden = answers.forbidden?.status ?? DEFAULT_ANSWER_STATUS.forbidden;
  if (answers.suspended !== undefined && answers.suspended.status !== forbidden) {
    throw new Error(
      `${name}: suspended.status (${answers.suspended.status}) must equal forbidden.status (${forbidden}): API Gateway ` +
        'answers both with its ACCESS_DENIED response, which has one status per API',
    );
  }
  return answers;
}

/**
 * The answer of a Deny on a guarded route. API Gateway answers every Deny with its one
 * `ACCESS_DENIED` response per API, whether the policy refused the route (role, scopes) or the
 * tenant is suspended, so the two share it: `forbidden`'s when set, else `suspended`'s.
 *
 * @returns the answer; `undefined` for keygate's own.
 */
export function deniedAnswer(answers: GatewayAnswers | undefined): GatewayAnswer | undefined {
  return answers?.forbidden ?? answers?.suspended;
}

function answerOf(label: string, kind: GatewayAnswerKind, entry: unknown): GatewayAnswer {
  if (!isRecord(entry)) throw new Error(`${label} must be {"status"?, "body"}, received ${show(entry)}`);
  const unknown = Object.keys(entry).find((field) => field !== 'status' && field !== 'body');
  if (unknown !== undefined) throw new Error(`${label} has an unknown field ${JSON.stringify(unknown)}`);
  const status = entry.status ?? DEFAULT_ANSWER_STATUS[kind];
  if (typeof status !== 'number' || !Number.isInteger(status) || status < 400 || status > 599) {
    throw new Error(`${label}.status must be an integer from 400 to 599, received ${show(entry.status)}`);
  }
  if (entry.body === undefined) throw new Error(`${label}.body is required: a JSON value, or a string sent as is`);
  const body = typeof entry.body === 'string' ? entry.body : JSON.stringify(entry.body);
  if (body.includes('$')) {
    throw new Error(`${label}.body must not contain "$": API Gateway substitutes $ variables in its answers`);
  }
  if (Buffer.byteLength(body) > MAX_ANSWER_BYTES) {
    throw new Error(`${label}.body must be at most ${MAX_ANSWER_BYTES} bytes, received ${Buffer.byteLength(body)}`);
  }
  return { status, body };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
