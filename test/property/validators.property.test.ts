import fc from 'fast-check';
import type { APIGatewayProxyResult } from 'aws-lambda';
import { noCache } from '../../lambdas/core/auth/cache';
import { notFound } from '../../lambdas/core/http/errors';
import type { KeyStore } from '../../lambdas/core/store/store';
import { TenantService } from '../../lambdas/core/tenants/tenant-service';
import type { PlanCatalog, UsagePlanApi } from '../../lambdas/core/plans/usage-plans';
import { createKeysHandler } from '../../lambdas/keys/handler';
import { createPanelHandler } from '../../lambdas/panel/handler';
import { ROUTES } from '../../lambdas/core/http/routes';
import { callerContext, operatorCaller, proxyEvent } from '../support/events';
import { fixedClock, recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * Whatever JSON arrives, in a body, a query or a path, the handlers answer in the contract's
 * error shape and never 500: validation happens before any work. 3 000 cases per route.
 */
const PLANS: PlanCatalog = {
  starter: { usagePlanId: 'up-starter', limits: { rateLimit: 10, burstLimit: 20 } },
  growth: { usagePlanId: 'up-growth', limits: { rateLimit: 100, burstLimit: 200 } },
  scale: { usagePlanId: 'up-scale', limits: { rateLimit: 1000, burstLimit: 2000 } },
};

/** A store with no tenants and no keys, that accepts writes: every valid request ends in 404 or success. */
const emptyStore = new Proxy({} as KeyStore, {
  get: (_target, name) => {
    if (name === 'then') return undefined;
    if (name === 'getTenant' || name === 'getKey') return async () => undefined;
    if (name === 'listKeys') return async () => ({ items: [] });
    if (name === 'createTenant' || name === 'propagateTenant') return async () => 0;
    return async () => {
      throw notFound();
    };
  },
});
const usagePlans = new Proxy({} as UsagePlanApi, {
  get: (_target, name) =>
    name === 'then'
      ? undefined
      : async () => (name === 'createApiKey' || name === 'createUsagePlan' ? 'id-1' : undefined),
});

const logger = recordingLogger();
const clock = fixedClock(instant(0, '10:00'));
const keys = createKeysHandler({ store: emptyStore, clock, prefix: 'sk', cache: noCache, logger });
const tenants = new TenantService({
  store: emptyStore,
  usagePlans,
  plans: PLANS,
  prefix: 'sk',
  clock,
  cache: noCache,
  logger,
  namePrefix: 'kg',
  reconcile: { request: async () => undefined },
});
const panel = createPanelHandler(tenants, logger, {
  store: emptyStore,
  clock,
  prefix: 'sk',
  cache: noCache,
  logger,
  usage: tenants,
});

const json = fc.jsonValue({ maxDepth: 3 });
const body = fc.oneof(
  json,
  json.map((value) => JSON.stringify(value)),
  fc.string(),
  fc.constant(undefined),
);
const query = fc.dictionary(
  fc.constantFrom('limit', 'cursor', 'name', 'sort', 'x'),
  fc.oneof(fc.string(), fc.constantFrom('0', '1', '100', '101', '-1', '1e3', ' 5')),
  { maxKeys: 3 },
);
const pathValue = fc.oneof(
  fc.string(),
  fc.constantFrom('key_000000000000000000000000', 'acme', 'operator', '../x', ''),
);

function expectContractAnswer(response: APIGatewayProxyResult): void {
  expect(response.statusCode).not.toBe(500);
  if (response.statusCode >= 400) {
    const parsed = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } };
    expect(typeof parsed.error?.code).toBe('string');
    expect(typeof parsed.error?.message).toBe('string');
  }
}

describe.each(
  ROUTES.filter((route) => route.function === 'keys' || route.function === 'panel').map(
    (route) => [`${route.method} ${route.path}`, route] as const,
  ),
)('%s', (_label, route) => {
  it('never answers 500 for any JSON body, query or path value', async () => {
    const handler = route.function === 'keys' ? keys : panel;
    const caller = route.function === 'keys' ? callerContext({ role: 'owner' }) : operatorCaller;
    const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
    await fc.assert(
      fc.asyncProperty(
        body,
        query,
        fc.array(pathValue, { minLength: names.length, maxLength: names.length }),
        async (sent, params, values) => {
          const pathParameters = Object.fromEntries(names.map((name, i) => [name, values[i]]));
          expectContractAnswer(
            await handler(
              proxyEvent({
                method: route.method,
                resource: route.path,
                pathParameters,
                body: sent,
                query: params,
                caller,
              }),
            ),
          );
        },
      ),
    );
  });
});
