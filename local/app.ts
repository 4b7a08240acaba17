import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAccountHandler } from '../lambdas/account/handler';
import { createEventsHandler } from '../lambdas/events/handler';
import { createKeysHandler } from '../lambdas/keys/handler';
import { createLeaksHandler } from '../lambdas/leaks/handler';
import { DynamoLeakStore } from '../lambdas/core/leaks/dynamodb-leaks';
import { staticGithubKeys } from '../lambdas/core/leaks/github';
import { LeakService, type LeakPolicy } from '../lambdas/core/leaks/leak-service';
import { createPanelHandler } from '../lambdas/panel/handler';
import { ThrottledLastUse } from '../lambdas/core/auth/authorize';
import { DailyLastUse } from '../lambdas/core/auth/last-use';
import { backfillTenantListing } from '../lambdas/core/store/backfill';
import { ensureOperator } from '../lambdas/core/tenants/bootstrap';
import type { AuthorizerCacheFlusher } from '../lambdas/core/auth/cache';
import { systemClock, type Clock } from '../lambdas/core/support/clock';
import { DynamoIdempotencyStore } from '../lambdas/core/store/dynamodb-idempotency';
import { DynamoKeyStore } from '../lambdas/core/store/dynamodb-store';
import { Idempotency } from '../lambdas/core/http/idempotency';
import { DynamoEventReader } from '../lambdas/core/events/dynamodb-events';
import { DynamoSessionStore } from '../lambdas/core/sessions/dynamodb-sessions';
import { DynamoSignInCodes } from '../lambdas/core/sessions/dynamodb-sign-in-codes';
import { defaultFormatFor, type KeyFormat } from '../lambdas/core/keys/format';
import { jsonLogger, type Logger } from '../lambdas/core/support/logger';
import { planStatusOf, type PlanLimits } from '../lambdas/core/model';
import { PlanReconciler } from '../lambdas/core/plans/plan-reconciler';
import { LogPublisher } from '../lambdas/core/events/publish';
import { ROUTES } from '../lambdas/core/http/routes';
import { OPENAPI_ROUTE, openApiHandler } from './openapi';
import { PAGE_ROUTES, pagesHandler } from './http/pages';
import { demoSessions } from './demo';
import { sessionServiceOf } from '../lambdas/core/sessions/wiring';
import { LocalEventFeed } from './event-feed';
import { LocalNotices } from './notices';
import { DynamoNoticeStore, keyServiceRevoker } from '../lambdas/core/notices/dynamodb-notices';
import { NoticeJob, type NoticeRunResult } from '../lambdas/core/notices/notice-job';
import { KeyService } from '../lambdas/core/keys/key-service';
import { TenantService } from '../lambdas/core/tenants/tenant-service';
import type { PlanCatalog, StandardPlan } from '../lambdas/core/plans/usage-plans';
import { documentClient } from '../lambdas/runtime/dynamodb-client';
import { SignedKeyReader } from '../lambdas/runtime/signed-key-reader';
import { LOCAL_AWS, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { LocalGateway, type ProxyHandler } from './gateway';
import { localAuthorizers } from './authorizers';
import { LocalCors } from './http/cors';
import { withCors } from '../lambdas/runtime/cors';
import { assertValidRoute, type KeygateRoute } from '../lambdas/core/auth/route-policy';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { UpstreamTarget } from './http/upstream-proxy';
import type { GatewayAnswers } from '../lambdas/core/http/gateway-answers';
import { DEFAULT_SETTINGS } from '../lib/settings';
import { ensureTable } from './table';
import { LocalReconcileQueue } from './reconcile-queue';
import { LocalUsagePlans } from './usage-plans';
import { UsageRecorder } from './usage-recorder';
import { aggregateAccessRecords } from '../lambdas/core/usage/aggregate';
import type { UsageRetention } from '../lambdas/core/usage/counters';
import { DynamoUsageStore } from '../lambdas/core/usage/dynamodb-usage';
import type { UsageStore } from '../lambdas/core/usage/usage-store';

/** How to run keygate locally; every field has a default fit for `npm start`. */
export interface LocalOptions {
  /** @default 3000; 0 picks a free port. */
  readonly port?: number;
  /** Use this DynamoDB instead of starting DynamoDB Local. */
  readonly dynamodbEndpoint?: string;
  /** Keep DynamoDB Local's data here across restarts. @default - in memory. */
  readonly dataDir?: string;
  /** @default 'keygate-keys' */
  readonly tableName?: string;
  /** Whether a table this start creates expires items by their `ttl`, as in AWS. @default true */
  readonly timeToLive?: boolean;
  /** @default 'sk' */
  readonly keyPrefix?: string;
  /**
   * The key formats accepted, the one new keys are minted in first (`KEYGATE_KEY_FORMAT`, then
   * `KEYGATE_ACCEPTED_KEY_FORMATS`). @default - the default format under `keyPrefix`
   */
  readonly keyFormats?: readonly KeyFormat[];
  /** The stage in method ARNs and proxy events. @default 'prod' */
  readonly stage?: string;
  /** @default true */
  readonly acceptBareKeys?: boolean;
  /** @default 300 */
  readonly cacheTtlSeconds?: number;
  /** @default - the deployment defaults, `DEFAULT_SETTINGS.plans` */
  readonly plans?: Readonly<Record<StandardPlan, PlanLimits>>;
  /** The operator tenant's plan. @default 'scale' */
  readonly operatorPlan?: StandardPlan;
  /** @default - the system clock. */
  readonly clock?: Clock;
  /** Where handlers and the authorizer log. @default - JSON lines on stdout. */
  readonly logger?: Logger;
  /** Where the gateway writes its one line per request. @default - stdout. */
  readonly requestLog?: (line: string) => void;
  /** The front door's backend. @default - none: paths outside keygate's API answer 404 */
  readonly upstream?: UpstreamTarget;
  /** Routes of your own, the same objects the stack's `addRoute` takes. @default - none */
  readonly routes?: readonly LocalRoute[];
  /** What a reported leak does to the key. @default 'revoke' */
  readonly onLeak?: LeakPolicy;
  /**
   * GitHub's secret scanning public keys as its meta endpoint's JSON (`KEYGATE_GITHUB_PUBLIC_KEYS`).
   * @default - none: every GitHub alert is refused with 401.
   */
  readonly githubPublicKeys?: string;
  /** Where the in-process publisher writes each event, one line each. @default - stdout. */
  readonly eventLog?: (line: string) => void;
  /** Days without use after which a key is stale (`KEYGATE_STALE_AFTER_DAYS`). @default 90 */
  readonly staleAfterDays?: number;
  /** Whether the daily job revokes stale keys (`KEYGATE_REVOKE_STALE_KEYS`). @default false */
  readonly revokeStaleKeys?: boolean;
  /** How long events are kept (`KEYGATE_EVENT_RETENTION_DAYS`). @default 400 */
  readonly eventRetentionDays?: number;
  /** How often, at most, a key's `lastUsedAt` is written (`KEYGATE_LAST_USED_INTERVAL_SECONDS`). @default 60 */
  readonly lastUsedIntervalSeconds?: number;
  /** The browser origins allowed on keygate's routes (`KEYGATE_CORS_ORIGINS`). @default - none: no CORS headers */
  readonly corsOrigins?: readonly string[];
  /** The protected API's answers on the front door and added routes (`KEYGATE_GATEWAY_ANSWERS`). @default - keygate's own */
  readonly gatewayAnswers?: GatewayAnswers;
  /** The path segment that names a workspace (`KEYGATE_WORKSPACE_SEGMENT`). @default - none: keys reach the whole API */
  readonly workspaceSegment?: number;
  /**
   * Whether each request's access log record is counted into the usage routes' counters, as the
   * stage's access log subscription does on AWS. @default true
   */
  readonly usageAnalytics?: boolean;
  /** How long hourly and daily usage buckets are kept. @default - 35 days of hours, 400 of days */
  readonly usageRetention?: UsageRetention;
  /** How often waiting access log records are counted, in ms. @default 1000 */
  readonly usageFlushMs?: number;
  /**
   * Emit `key.new_source` when a key is used from a network (/24, /48) it has not used in this
   * many days (`KEYGATE_NEW_SOURCE_DAYS`). @default - off
   */
  readonly newSourceDays?: number;
}

/** What a route of your own gets to build its handler locally. */
export interface LocalRouteDeps {
  readonly client: DynamoDBDocumentClient;
  /** keygate's key table. */
  readonly tableName: string;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** A route of your own and how to build its handler in process. */
export interface LocalRoute {
  readonly route: KeygateRoute;
  readonly handler: (deps: LocalRouteDeps) => ProxyHandler;
}

/** A running local keygate. */
export interface LocalKeygate {
  readonly url: string;
  readonly port: number;
  /** The operator key, when this start created it (shown once, like any key). */
  readonly operatorKey: string | undefined;
  readonly gateway: LocalGateway;
  readonly store: DynamoKeyStore;
  readonly usagePlans: LocalUsagePlans;
  /** The usage counters the access log records are counted into. */
  readonly usageStore: UsageStore;
  /** Waits for the authorizer's pending last-use writes; for tests. */
  settle(): Promise<void>;
  /** Publishes the events committed so far without waiting for the next poll; for tests. */
  publishEvents(): Promise<void>;
  /** Waits until the plan reconciler has nothing left to do; for tests. */
  reconciled(): Promise<void>;
  /** Runs the daily notice job now (it also runs at start and daily at 00:05 UTC); for tests. */
  runNotices(): Promise<NoticeRunResult>;
  /** Counts the access log records waiting for the next batch now; for tests. */
  flushUsage(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts keygate on this machine: the embedded DynamoDB (or the given one), the table, the
 * usage plans, the operator tenant with its first key, and the local gateway over the real
 * authorizer and handlers.
 */
export async function startKeygateLocal(options: LocalOptions = {}): Promise<LocalKeygate> {
  const prefix = options.keyPrefix ?? DEFAULT_SETTINGS.keyPrefix;
  const formats = options.keyFormats ?? [defaultFormatFor(prefix)];
  const keyFormat = formats[0];
  const acceptBareKeys = options.acceptBareKeys ?? DEFAULT_SETTINGS.acceptBareKeys;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? jsonLogger({ source: 'keygate-local' });
  const tableName = options.tableName ?? 'keygate-keys';
  const now = (): number => clock().getTime();

  let embedded: DynamoDbLocal | undefined;
  const endpoint =
    options.dynamodbEndpoint ?? (embedded = await startDynamoDbLocal({ dataDir: options.dataDir })).endpoint;
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    await ensureTable(client, tableName, {
      staleAfterDays: options.staleAfterDays,
      timeToLive: options.timeToLive,
      now: clock(),
    });
    // tenants kept in a data folder from before the tenant listing join it.
    await backfillTenantListing({ client: documentClient(client), tableName });
    const eventRetentionDays = options.eventRetentionDays;
    const store = new DynamoKeyStore({ client: documentClient(client), tableName, eventRetentionDays });
    const usagePlans = new LocalUsagePlans(now);
    const plans = planCatalog(usagePlans, options.plans ?? DEFAULT_SETTINGS.plans);
    // the handlers flush the gateway's cache through the same seam as FlushStageAuthorizersCache.
    const cache: AuthorizerCacheFlusher = {
      flush: async () => gateway.flushAuthorizerCache(),
      flushAt: async (at) => gateway.scheduleAuthorizerCacheFlush(at),
    };
    const namePrefix = 'keygate-local';
    // the local cache refuses answers that began before a flush: an old identifier can go at once.
    const reconciler = new PlanReconciler({
      store,
      usagePlans,
      plans,
      cache,
      clock,
      logger,
      namePrefix,
      retireAfterMs: 0,
    });
    const reconcile = new LocalReconcileQueue(reconciler, logger);
    const tenants = new TenantService({
      store,
      usagePlans,
      plans,
      prefix,
      keyFormat,
      clock,
      cache,
      logger,
      namePrefix,
      reconcile,
    });
    const operatorKey = await ensureOperator(store, tenants, options.operatorPlan ?? DEFAULT_SETTINGS.operatorPlan);
    // plan changes still pending when a kept data folder was last served are finished now.
    for (const tenantId of await restoreUsageKeys(store, usagePlans)) await reconcile.request(tenantId);

    // the authorizer reads as it does in Lambda: signed requests, not the SDK.
    const keyReader = new SignedKeyReader({
      tableName,
      region: LOCAL_AWS.region,
      accessKeyId: LOCAL_AWS.credentials.accessKeyId,
      secretAccessKey: LOCAL_AWS.credentials.secretAccessKey,
      endpoint,
    });
    const lastUse = new ThrottledLastUse(
      keyReader,
      logger,
      (options.lastUsedIntervalSeconds ?? DEFAULT_SETTINGS.lastUsedIntervalSeconds) * 1000,
    );
    const userRoutes = (options.routes ?? []).map(({ route }, index) => {
      assertValidRoute(route);
      return { method: route.method, path: route.path, function: `route:${index}`, guarded: true };
    });
    const routeDeps: LocalRouteDeps = { client: documentClient(client), tableName, clock, logger };
    const userHandlers = Object.fromEntries(
      (options.routes ?? []).map(({ handler }, index) => [`route:${index}`, handler(routeDeps)]),
    );
    const routeRoles = (options.routes ?? []).flatMap(({ route }) =>
      route.roles === undefined ? [] : [{ method: route.method, path: route.path, roles: route.roles }],
    );
    const idempotency = new Idempotency({
      store: new DynamoIdempotencyStore({ client: documentClient(client), tableName }),
      clock,
      logger,
    });
    const usageAnalytics = options.usageAnalytics ?? true;
    const usageStore = new DynamoUsageStore({ client: documentClient(client), tableName });
    const usageReads = {
      ...(usageAnalytics ? { usageStore } : {}),
      ...(options.usageRetention === undefined ? {} : { usageRetention: options.usageRetention }),
    };
    const usage = new UsageRecorder({
      aggregate: (records) =>
        aggregateAccessRecords(records, {
          store: usageStore,
          clock,
          ...(options.usageRetention === undefined ? {} : { retention: options.usageRetention }),
          ...(options.newSourceDays === undefined ? {} : { newSourceDays: options.newSourceDays }),
          // its own recorder, as the aggregator Lambda has: the access log's uses, cached answers included.
          lastUse: new DailyLastUse(store, logger),
        }),
      logger,
      flushEveryMs: options.usageFlushMs,
    });
    const keyDeps = {
      ...usageReads,
      store,
      clock,
      logger,
      prefix,
      keyFormat,
      acceptedFormats: formats,
      cache,
      usage: tenants,
      idempotency,
      sessions: new DynamoSessionStore({ client: documentClient(client), tableName, eventRetentionDays }),
      signInCodes: new DynamoSignInCodes({ client: documentClient(client), tableName, eventRetentionDays }),
    };
    // keygate's own handlers add the CORS headers of their answers, as their Lambdas do.
    const corsOrigins = options.corsOrigins ?? [];
    const cors = (handler: ProxyHandler): ProxyHandler => withCors(handler, corsOrigins);
    const gateway: LocalGateway = new LocalGateway({
      routes: [...ROUTES, OPENAPI_ROUTE, ...PAGE_ROUTES, ...userRoutes],
      handlers: {
        ...userHandlers,
        openapi: openApiHandler(),
        pages: pagesHandler({ demoSession: demoSessions({ tenants, sessions: sessionServiceOf(keyDeps), store }) }),
        account: cors(createAccountHandler({ store, clock, logger, tenants, ...usageReads })),
        keys: cors(createKeysHandler(keyDeps)),
        panel: cors(createPanelHandler(tenants, logger, keyDeps)),
        events: cors(
          createEventsHandler({ events: new DynamoEventReader(documentClient(client), tableName), logger, clock }),
        ),
        leaks: cors(
          createLeaksHandler({
            leaks: new LeakService({
              store: new DynamoLeakStore(store, documentClient(client), tableName, eventRetentionDays),
              prefix,
              formats,
              policy: options.onLeak ?? DEFAULT_SETTINGS.onLeak,
              clock,
              cache,
              logger,
            }),
            githubKeys: staticGithubKeys(options.githubPublicKeys ?? '{"public_keys":[]}'),
            logger,
            clock,
          }),
        ),
      },
      ...localAuthorizers(
        {
          store: keyReader,
          prefix,
          formats,
          acceptBareKeys,
          clock,
          logger,
          lastUse,
          routeRoles,
          ...(options.workspaceSegment === undefined ? {} : { workspaceSegment: options.workspaceSegment }),
        },
        keyReader,
        options.gatewayAnswers?.suspended !== undefined,
      ),
      cacheTtlMs: (options.cacheTtlSeconds ?? DEFAULT_SETTINGS.authorizerCacheTtlSeconds) * 1000,
      usageCheck: usagePlans.check,
      stage: options.stage,
      log: options.requestLog,
      ...(usageAnalytics ? { accessLog: (line: string) => usage.record(line) } : {}),
      now,
      upstream: options.upstream,
      ...(corsOrigins.length === 0 ? {} : { cors: new LocalCors(corsOrigins, ROUTES) }),
      ...(options.gatewayAnswers === undefined ? {} : { answers: options.gatewayAnswers }),
    });
    // the stream → EventBridge publisher's local stand-in: one line per committed event.
    const feed = new LocalEventFeed(
      documentClient(client),
      tableName,
      new LogPublisher(options.eventLog ?? ((line) => process.stdout.write(`${line}\n`))),
      clock(),
    );
    // the daily schedule's local stand-in: at start (catching up missed days), then at 00:05 UTC.
    const notices = new LocalNotices(
      new NoticeJob({
        store: new DynamoNoticeStore({
          client: documentClient(client),
          tableName,
          getKey: (id) => store.getKey(id),
          eventRetentionDays,
        }),
        clock,
        logger,
        staleAfterDays: options.staleAfterDays,
        revokeStaleKeys: options.revokeStaleKeys,
        revoker: keyServiceRevoker(new KeyService({ store, clock, logger, prefix, keyFormat, cache })),
      }),
      clock,
      logger,
    );
    const { url, port } = await gateway.listen(options.port ?? 3000);
    // polling starts once nothing else can fail, so a failed start leaves no timer behind.
    feed.start();
    notices.start();
    usage.start();
    return {
      url,
      port,
      operatorKey,
      gateway,
      store,
      usagePlans,
      usageStore,
      settle: () => lastUse.settle(),
      reconciled: () => reconcile.idle(),
      publishEvents: () => feed.poll(),
      runNotices: () => notices.run(),
      flushUsage: () => usage.flush(),
      stop: async () => {
        await gateway.close();
        await usage.stop();
        await notices.stop();
        await feed.stop();
        reconcile.stop();
        await reconcile.idle();
        await lastUse.settle();
        client.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    client.destroy();
    await embedded?.stop();
    throw error;
  }
}

/** Declares the shared plans, as the CDK's `RatePlans` deploys them. */
function planCatalog(usagePlans: LocalUsagePlans, limits: Readonly<Record<StandardPlan, PlanLimits>>): PlanCatalog {
  const entry = (plan: StandardPlan) => {
    const usagePlanId = `local-${plan}`;
    usagePlans.definePlan(usagePlanId, plan, limits[plan]);
    return { usagePlanId, limits: limits[plan] };
  };
  return { starter: entry('starter'), growth: entry('growth'), scale: entry('scale') };
}

/**
 * Usage plans live in memory, tenants in DynamoDB: with a data folder kept across restarts,
 * re-register each tenant's usage identifiers so its keys keep working.
 */
async function restoreUsageKeys(store: DynamoKeyStore, usagePlans: LocalUsagePlans): Promise<string[]> {
  const pending: string[] = [];
  for await (const tenant of store.scanTenants()) {
    if (planStatusOf(tenant) === 'pending' || (tenant.retiredUsageKeys ?? []).length > 0) pending.push(tenant.tenantId);
    if (tenant.usagePlanId !== undefined)
      usagePlans.definePlan(tenant.usagePlanId, `keygate-local-enterprise-${tenant.tenantId}`, tenant.limits);
    for (const usage of Object.values(tenant.usageKeys)) {
      usagePlans.restoreApiKey(
        usage.id,
        usage.value,
        usage.usagePlanId ?? tenant.usagePlanId ?? `local-${tenant.plan}`,
      );
    }
  }
  return pending;
}
