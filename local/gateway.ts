import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayAuthorizerResult, APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { ErrorCode } from '../lambdas/core/http/errors';
import { deniedAnswer, type GatewayAnswer, type GatewayAnswers } from '../lambdas/core/http/gateway-answers';
import { GATEWAY_ERRORS, type GatewayError, type GatewayResponseType } from '../lambdas/core/http/gateway-responses';
import { LocalAuthorizer, type GatewayAuthorizer, type TokenAuthorizer } from './gateway-authorizer';
import { flatHeaders, header, readBody, sendAnswer, sendError, sendGatewayError } from './http/answers';
import type { LocalCors } from './http/cors';
import { parseRequestTarget } from './http/normalize-path';
import { forwardToUpstream, isKeygateResource, upstreamHeaders, type UpstreamTarget } from './http/upstream-proxy';
import { isAllowed } from './policy';
import { buildProxyEvent, type ProxyEventAuthorizer } from './proxy-event';
import { matchRoute, methodArn, type RouteMatch } from './router';
import { localAccessLine } from './access-log';

export type { GatewayAuthorizer, TokenAuthorizer };

/** A Lambda proxy handler as the local gateway calls it. */
export type ProxyHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/**
 * What the gateway does with the usage identifier the authorizer returned: a usage-plan check
 * that answers `undefined` to let the request through, or the gateway response to send.
 */
export type UsageCheck = (
  usageIdentifierKey: string | undefined,
) => { type: GatewayResponseType; retryAfterSeconds?: number } | undefined;

/** A route the local gateway serves: keygate's own, or one added with the route API. */
export interface GatewayRoute {
  readonly method: string;
  readonly path: string;
  /** The key of its handler in {@link LocalGatewayProps.handlers}. */
  readonly function: string;
  /** `none`: no key, no authorizer, no usage plan; the handler authenticates its caller. @default 'apiKey' */
  readonly auth?: 'apiKey' | 'none';
  /** Whether its refusals are the protected API's ({@link LocalGatewayProps.answers}), as `addRoute` routes are. @default false */
  readonly guarded?: boolean;
}

/** What the local gateway serves and how. */
export interface LocalGatewayProps {
  readonly routes: readonly GatewayRoute[];
  readonly handlers: Readonly<Record<string, ProxyHandler>>;
  /** The authorizer of keygate's own routes (keys and sessions). */
  readonly authorizer: TokenAuthorizer;
  /** API Gateway's `identityValidationExpression`: tokens that do not match never reach the authorizer. */
  readonly identityValidation: RegExp;
  /** The keys-only authorizer of the front door and the guarded routes, with a cache of its own. */
  readonly keysOnly: GatewayAuthorizer;
  /** How long an Allow is cached per token, by each authorizer; 0 disables caching. */
  readonly cacheTtlMs: number;
  /** Usage-plan enforcement. @default - every request goes through. */
  readonly usageCheck?: UsageCheck;
  /** @default 'prod' */
  readonly stage?: string;
  /** Receives one line per request; never the key. @default - stdout. */
  readonly log?: (line: string) => void;
  /**
   * Receives each request's access log line, the JSON record the stage's access log holds on
   * AWS (`ACCESS_LOG_FIELDS`), for the usage counters. @default - none is written
   */
  readonly accessLog?: (line: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
  /**
   * The front door: requests for paths that are not keygate's own are forwarded here once
   * authorized and within the usage plan. @default - such paths answer 404
   */
  readonly upstream?: UpstreamTarget;
  /**
   * CORS for keygate's routes: their preflights, and the headers of the gateway's own answers
   * (the handlers add theirs, as the Lambdas do). Never for the upstream's answers.
   * @default - no CORS headers at all
   */
  readonly cors?: LocalCors;
  /**
   * The answers of the front door and the guarded routes to a refused key, a denied route, a
   * request over the usage plan and a suspended tenant's key; keygate's own routes keep theirs.
   * @default - keygate's own answers everywhere
   */
  readonly answers?: GatewayAnswers;
}

/** Which configured answer stands for a gateway response type on a guarded route. */
const ANSWER_OF: Partial<Record<GatewayResponseType, keyof GatewayAnswers>> = {
  UNAUTHORIZED: 'unauthorized',
  ACCESS_DENIED: 'forbidden',
  THROTTLED: 'throttled',
  QUOTA_EXCEEDED: 'throttled',
};

const LOCAL_ARN = { region: 'local', accountId: '000000000000', apiId: 'keygate' };

/**
 * A local stand-in for API Gateway with a TOKEN authorizer and Lambda proxy integrations: it
 * matches the route, validates the token's shape, calls the real authorizer with a real TOKEN
 * event, caches its Allow per token, evaluates the policy against the method ARN, applies the
 * usage plan, calls the real handler with a real proxy event, and answers gateway errors in the
 * contract's shape.
 */
export class LocalGateway {
  /** keygate's own routes' authorizer, and the keys-only one of the routes it guards for you. */
  private readonly authorizers: { readonly own: LocalAuthorizer; readonly keysOnly: LocalAuthorizer };
  private readonly stage: string;
  private readonly log: (line: string) => void;
  private readonly now: () => number;
  private server: Server | undefined;
  private selfAuthorities: readonly string[] = [];
  /** The CORS headers of the gateway's own answer to each request in flight. */
  private readonly corsOf = new WeakMap<ServerResponse, Record<string, string>>();
  /** The gateway response type of a request the gateway itself answered, for the access log. */
  private readonly errorTypeOf = new WeakMap<ServerResponse, GatewayResponseType>();

  constructor(private readonly props: LocalGatewayProps) {
    this.stage = props.stage ?? 'prod';
    this.log = props.log ?? ((line) => process.stdout.write(`${line}\n`));
    this.now = props.now ?? Date.now;
    const own = { authorizer: props.authorizer, identityValidation: props.identityValidation };
    this.authorizers = {
      own: new LocalAuthorizer(own, props.cacheTtlMs, this.now),
      keysOnly: new LocalAuthorizer(props.keysOnly, props.cacheTtlMs, this.now),
    };
  }

  /** Empties the authorizer caches, as `FlushStageAuthorizersCache` does for every authorizer of a stage. */
  flushAuthorizerCache(): void {
    for (const authorizer of Object.values(this.authorizers)) authorizer.flush();
  }

  /** Flushes the authorizer caches at a given time (a grace period's end); midnight is built in. */
  scheduleAuthorizerCacheFlush(at: Date): void {
    for (const authorizer of Object.values(this.authorizers)) authorizer.flushAt(at.getTime());
  }

  /** Starts listening; port 0 picks a free one. */
  async listen(port: number, host = '127.0.0.1'): Promise<{ port: number; url: string }> {
    const server = createServer((req, res) => {
      this.serve(req, res).catch((error: unknown) => {
        this.log(`gateway error: ${error instanceof Error ? error.message : String(error)}`);
        if (!res.headersSent) this.sendGatewayError(res, 'DEFAULT_5XX');
        else res.end();
      });
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    const address = server.address() as AddressInfo;
    // the authorities an absolute-form request target may name: this gateway's own.
    const hosts = new Set(
      [host, 'localhost', '127.0.0.1', '[::1]'].map((name) =>
        name.includes(':') && !name.startsWith('[') ? `[${name}]` : name,
      ),
    );
    this.selfAuthorities = [...hosts].map((name) => `${name.toLowerCase()}:${address.port}`);
    return { port: address.port, url: `http://${host}:${address.port}` };
  }

  /** Stops listening and ends open connections. */
  async close(): Promise<void> {
    const server = this.server;
    if (server === undefined) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    // one normalized path for routing, the policy and forwarding alike.
    const target = parseRequestTarget(req.url ?? '/', this.selfAuthorities);
    let keyId = '-';
    const requestId = randomUUID();
    const receivedAt = this.now();
    let authorized: APIGatewayAuthorizerResult | undefined = undefined;
    let resource = target.kind === 'ok' ? target.path : '-';
    const finish = (status: number): void => {
      const ms = (performance.now() - started).toFixed(1);
      this.log(`${method} ${target.kind === 'ok' ? target.path : '-'} ${status} ${ms}ms ${keyId}`);
      this.props.accessLog?.(
        localAccessLine({
          requestId,
          receivedAt,
          stage: this.stage,
          req,
          method,
          resource,
          status,
          latencyMs: performance.now() - started,
          authorized,
          errorType: this.errorTypeOf.get(res),
        }),
      );
    };
    if (target.kind === 'refused') {
      req.resume();
      return finish(this.sendError(res, 400, 'invalid_request', target.reason));
    }
    const path = target.path;
    const url = new URL(path + target.query, 'http://localhost');
    const origin = header(req, 'origin');
    this.corsOf.set(res, this.props.cors?.gatewayHeaders(origin) ?? {});
    const preflight = this.props.cors?.preflight(method, path, origin);
    if (preflight !== undefined) {
      req.resume();
      res.writeHead(204, preflight).end();
      return finish(204);
    }

    const match = matchRoute(this.props.routes, method, path);
    if (match.kind === 'matched') resource = match.route.path;
    const upstream = this.props.upstream;
    // keygate's own resources keep precedence, as in api gateway's resource tree.
    const forward = match.kind === 'not_found' && upstream !== undefined && !isKeygateResource(this.props.routes, path);
    if (match.kind !== 'matched' && !forward) return finish(this.sendGatewayError(res, 'MISSING_AUTHENTICATION_TOKEN'));

    // a forwarded body streams to the upstream once the request is authorized.
    const body = forward ? undefined : await readBody(req);
    if (body === 'too_large') return finish(this.sendGatewayError(res, 'REQUEST_TOO_LARGE'));
    if (match.kind === 'matched' && match.route.auth === 'none')
      return finish(await this.invoke(req, res, match, url, body, requestId));

    // the front door and the added routes answer refusals as the protected API does.
    const guarded = forward || (match.kind === 'matched' && match.route.guarded === true);
    const refuse = (type: GatewayResponseType, retryAfterSeconds?: number): number => {
      this.errorTypeOf.set(res, type);
      const kind = guarded ? ANSWER_OF[type] : undefined;
      // a Deny has one answer per API on AWS, whatever denied: so here too.
      const answer =
        kind === undefined
          ? undefined
          : type === 'ACCESS_DENIED'
            ? deniedAnswer(this.props.answers)
            : this.props.answers?.[kind];
      return answer === undefined
        ? this.sendGatewayError(res, type, retryAfterSeconds)
        : this.sendAnswer(res, answer, GATEWAY_ERRORS[type], retryAfterSeconds);
    };
    const arn = methodArn({ ...LOCAL_ARN, stage: this.stage, method, path });
    // the routes guarded for you have a keys-only authorizer: no session, nor its cached Allow, passes.
    const authorizer = guarded ? this.authorizers.keysOnly : this.authorizers.own;
    const outcome = await authorizer.authorize(header(req, 'authorization'), arn);
    if (outcome.kind === 'unauthorized') return finish(refuse('UNAUTHORIZED'));
    if (outcome.kind === 'failed') return finish(this.sendGatewayError(res, 'AUTHORIZER_FAILURE'));
    const { result } = outcome;
    keyId = result.principalId;
    authorized = result;
    // a backend may read paths case-insensitively: a Deny holds in every letter case.
    if (!isAllowed(result.policyDocument, arn, { foldDenyCase: true })) {
      // a suspended tenant's Deny: the configured answer where guarded, keygate's own 401 elsewhere.
      if (result.context?.refusal === 'suspended') {
        const suspended = this.props.answers?.suspended;
        return finish(
          guarded && suspended !== undefined
            ? this.sendAnswer(res, suspended, GATEWAY_ERRORS.ACCESS_DENIED)
            : this.sendGatewayError(res, 'UNAUTHORIZED'),
        );
      }
      return finish(refuse('ACCESS_DENIED'));
    }

    const refusal = this.props.usageCheck?.(result.usageIdentifierKey ?? undefined);
    if (refusal !== undefined) return finish(refuse(refusal.type, refusal.retryAfterSeconds));

    if (match.kind !== 'matched') {
      if (upstream === undefined) return finish(this.sendGatewayError(res, 'MISSING_AUTHENTICATION_TOKEN'));
      const client = { address: req.socket.remoteAddress ?? '127.0.0.1', proto: 'http' } as const;
      const headers = upstreamHeaders(req.rawHeaders, result.context ?? {}, upstream.secret, client);
      const outcome = await forwardToUpstream(req, res, upstream, path + target.query, headers);
      if (outcome.kind === 'answered') return finish(outcome.status);
      if (outcome.kind === 'unreachable') this.log(`upstream ${new URL(upstream.url).host} failed: ${outcome.cause}`);
      if (res.headersSent) return finish(502);
      const type =
        outcome.kind === 'timeout'
          ? 'INTEGRATION_TIMEOUT'
          : outcome.kind === 'too_large'
            ? 'REQUEST_TOO_LARGE'
            : 'INTEGRATION_FAILURE';
      return finish(this.sendGatewayError(res, type));
    }

    const caller = {
      principalId: result.principalId,
      context: result.context ?? undefined,
      integrationLatency: outcome.latencyMs,
    };
    return finish(await this.invoke(req, res, match, url, body, requestId, caller));
  }

  /**
   * Calls a route's handler with a real proxy event and sends its answer; `authorizer` is the
   * authorizer's answer, absent on a route with `auth: 'none'` (authorization type NONE, no API
   * key required: no identity validation, no authorizer, no usage plan; the handler checks its
   * caller itself).
   *
   * @returns the status sent.
   */
  private async invoke(
    req: IncomingMessage,
    res: ServerResponse,
    match: Extract<RouteMatch<GatewayRoute>, { kind: 'matched' }>,
    url: URL,
    body: Buffer | undefined,
    requestId: string,
    authorizer?: ProxyEventAuthorizer,
  ): Promise<number> {
    const event = buildProxyEvent({
      method: (req.method ?? 'GET').toUpperCase(),
      path: url.pathname,
      resource: match.route.path,
      pathParameters: match.pathParameters,
      query: url.searchParams,
      headers: req.headersDistinct,
      body,
      ...(authorizer === undefined ? {} : { authorizer }),
      stage: this.stage,
      apiId: LOCAL_ARN.apiId,
      accountId: LOCAL_ARN.accountId,
      requestId,
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      protocol: `HTTP/${req.httpVersion}`,
      receivedAt: new Date(this.now()),
    });
    let response: APIGatewayProxyResult;
    try {
      response = await this.props.handlers[match.route.function](event);
    } catch (error) {
      // a handler that throws is a 502 in api gateway; ours never should.
      this.log(`handler error: ${error instanceof Error ? error.name : 'unknown'}`);
      return this.sendGatewayError(res, 'DEFAULT_5XX');
    }
    res.writeHead(response.statusCode, flatHeaders(response));
    res.end(response.isBase64Encoded ? Buffer.from(response.body, 'base64') : response.body);
    return response.statusCode;
  }

  private sendGatewayError(res: ServerResponse, type: GatewayResponseType, retryAfterSeconds?: number): number {
    this.errorTypeOf.set(res, type);
    return sendGatewayError(res, type, this.corsOf.get(res), retryAfterSeconds);
  }

  private sendAnswer(res: ServerResponse, answer: GatewayAnswer, replaces: GatewayError, retryAfterSeconds?: number) {
    return sendAnswer(res, answer, replaces, this.corsOf.get(res), retryAfterSeconds);
  }

  private sendError(res: ServerResponse, status: number, code: ErrorCode, message: string): number {
    return sendError(res, status, code, message, this.corsOf.get(res));
  }
}
