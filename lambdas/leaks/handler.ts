import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type ApiError, errorBody } from '../core/http/errors';
import { jsonResponse, parseBody, type RouteHandler } from '../core/http/http';
import { panelLeakSchema } from '../core/http/schemas/leaks';
import {
  githubAlertSchema,
  verifyGithubSignature,
  type GithubFeedback,
  type GithubKeySource,
} from '../core/leaks/github';
import type { LeakService } from '../core/leaks/leak-service';
import { describeError, type Logger } from '../core/support/logger';
import { assertLiveOperator } from '../core/http/operator-only';
import { proxyHandler } from '../runtime/proxy';
import { actorOf } from '../core/events/model';
import type { Clock } from '../core/support/clock';

/** The route GitHub posts alerts to; it has no API key, only GitHub's signature. */
export const GITHUB_LEAK_RESOURCE = '/v1/leaks/github';
/** GitHub batches alerts; far below API Gateway's 10 MB, far above a real batch. */
const MAX_ALERT_BYTES = 1024 * 1024;

/** What the leak routes need. */
export interface LeaksDeps {
  readonly leaks: LeakService;
  readonly githubKeys: GithubKeySource;
  readonly logger: Logger;
  /** Tells a session that has ended. @default - the system clock */
  readonly clock?: Clock;
}

/** `POST /v1/panel/leaks {key, url?}`: an operator reports a key seen somewhere. */
export function createPanelLeakRoutes(deps: LeaksDeps): Record<string, RouteHandler> {
  return {
    'POST /v1/panel/leaks': async (request) => {
      assertLiveOperator(request.caller);
      const { key, url } = parseBody(request, panelLeakSchema);
      const outcome = await deps.leaks.report(
        key,
        { source: 'operator', ...(url === undefined ? {} : { url }) },
        actorOf(request.caller),
      );
      return jsonResponse(200, outcome);
    },
  };
}

/**
 * `POST /v1/leaks/github`, GitHub's secret scanning partner endpoint. The signature is checked
 * over the raw body before anything else: without a valid one the answer is 401 and nothing is
 * read or written. The answer is GitHub's feedback format, one entry per reported token.
 */
export function createGithubLeakHandler(deps: LeaksDeps) {
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    try {
      const body =
        event.body === null ? Buffer.alloc(0) : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
      const signed = await verifyGithubSignature(
        deps.githubKeys,
        body,
        header(event, 'github-public-key-identifier'),
        header(event, 'github-public-key-signature'),
      );
      if (!signed) return errorResult(401, 'unauthorized', 'the GitHub signature is missing or not valid');
      if (body.length > MAX_ALERT_BYTES)
        return errorResult(413, 'payload_too_large', `the alert must be at most ${MAX_ALERT_BYTES} bytes`);
      let alerts;
      try {
        alerts = githubAlertSchema.parse(JSON.parse(body.toString('utf8')));
      } catch {
        return errorResult(400, 'invalid_request', 'the body must be a JSON array of {token, type, url, source}');
      }
      const feedback: GithubFeedback[] = [];
      // one report per distinct token: a batch that names a key twice acts on it once.
      const outcomes = new Map<string, Promise<GithubFeedback['label']>>();
      for (const alert of alerts) {
        let label = outcomes.get(alert.token);
        if (label === undefined) {
          label = deps.leaks
            .report(alert.token, { url: alert.url, source: alert.source }, { system: 'github' })
            .then((outcome) => outcome.label);
          outcomes.set(alert.token, label);
        }
        feedback.push({ token_raw: alert.token, token_type: alert.type, label: await label });
      }
      return {
        statusCode: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
        body: JSON.stringify(feedback),
      };
    } catch (error) {
      // never the body in a log: it holds the reported tokens.
      deps.logger.error('github leak report failed', describeError(error));
      return errorResult(500, 'internal_error', 'something went wrong on our side');
    }
  };
}

/** The leaks Lambda: the GitHub route by signature, the panel route through the authorizer. */
export function createLeaksHandler(deps: LeaksDeps) {
  const github = createGithubLeakHandler(deps);
  const panel = proxyHandler(createPanelLeakRoutes(deps), deps.logger, deps.clock);
  return async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> =>
    event.resource === GITHUB_LEAK_RESOURCE && event.httpMethod === 'POST' ? github(event) : panel(event);
}

function header(event: APIGatewayProxyEvent, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {}))
    if (key.toLowerCase() === name && value !== undefined) return value;
  return undefined;
}

function errorResult(
  statusCode: number,
  code: ConstructorParameters<typeof ApiError>[0],
  message: string,
): APIGatewayProxyResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' },
    body: errorBody(code, message),
  };
}
