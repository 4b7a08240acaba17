import {
  APIGatewayClient,
  type CreateApiKeyCommand,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import type { AuthorizerCacheFlusher } from '../../lambdas/core/auth/cache';
import type { Tenant } from '../../lambdas/core/model';
import { PlanReconciler } from '../../lambdas/core/plans/plan-reconciler';
import type { PlanCatalog } from '../../lambdas/core/plans/usage-plans';
import { TenantService, type PlanRequest } from '../../lambdas/core/tenants/tenant-service';
import { createReconcilerHandler } from '../../lambdas/reconciler/handler';
import { ApiGatewayUsagePlans } from '../../lambdas/runtime/api-gateway-usage-plans';
import { reconcilerBackoff, SqsReconcileQueue } from '../../lambdas/runtime/reconcile-queue';
import { KeygateStack } from '../../lib/keygate-stack';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import { FakeApiGateway } from '../../local/fake-api-gateway';
import { testApp } from '../support/cdk';
import { MemoryKeyStore } from '../support/fakes/memory-key-store';
import { recordingLogger } from '../support/fixtures';
import { FifoQueueSim, queueFeedOf, type QueueFeed } from '../support/sqs-lambda';
import { instant } from '../support/time';

/**
 * The plan reconcile queue as deployed: its template, and its behaviour under API Gateway's
 * `UpdateUsagePlan` quota (1 call every 20 s per account, not raisable:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), played with the
 * batch size, visibility timeout, receive count and function timeout the template holds.
 */
let template: Template;
let queueId: string;
let feed: QueueFeed;

beforeAll(() => {
  const app = testApp();
  template = Template.fromStack(new KeygateStack(app, 'Keygate', { settings: DEFAULT_SETTINGS }));
  const queues = template.findResources('AWS::SQS::Queue', {
    Properties: { FifoQueue: true, RedrivePolicy: Match.anyValue() },
  });
  expect(Object.keys(queues)).toHaveLength(1);
  queueId = Object.keys(queues)[0];
  feed = queueFeedOf(template, queueId);
});

describe('the reconcile queue template', () => {
  it('hands the reconciler one plan change at a time, so a throttle raises no other message’s receive count', () => {
    expect(feed.batchSize).toBe(1);
    expect(feed.reportBatchItemFailures).toBe(true);
  });

  it('keeps a message invisible at least six times the function timeout, as Lambda asks', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    expect(feed.visibilityTimeoutMs).toBeGreaterThanOrEqual(6 * feed.functionTimeoutMs);
  });

  it('retries a plan change for hours before it lands in the dead-letter queue', () => {
    expect(feed.maxReceiveCount * feed.visibilityTimeoutMs).toBeGreaterThanOrEqual(3 * 3_600_000);
  });
});

const PLANS: PlanCatalog = {
  starter: { usagePlanId: 'up-starter', limits: { rateLimit: 10, burstLimit: 20 } },
  growth: { usagePlanId: 'up-growth', limits: { rateLimit: 100, burstLimit: 200 } },
  scale: { usagePlanId: 'up-scale', limits: { rateLimit: 1000, burstLimit: 2000 } },
};
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keygate-reconcile.fifo';
const apiGatewayMock = mockClient(APIGatewayClient);
const sqsMock = mockClient(SQSClient);
afterAll(() => {
  apiGatewayMock.restore();
  sqsMock.restore();
});

/** A seeded generator, so the jitter of every run is the same. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

/**
 * Panel, SQS FIFO queue, reconciler Lambda and API Gateway, on one clock the test moves: the
 * panel's plan changes go through `SqsReconcileQueue` into the simulated queue, which feeds the
 * real handler; API Gateway is the fake behind a real `APIGatewayClient` (aws-sdk-client-mock),
 * refusing an `UpdateUsagePlan` sooner than 20 s after the last, or before `throttledUntil`.
 */
function world(options: { throttledUntil?: number } = {}) {
  const time = { now: Date.parse(instant(0, '10:00')) };
  const clock = () => new Date(time.now);
  const api = new FakeApiGateway({ now: () => time.now, updateUsagePlanIntervalMs: 20_000 });
  for (const [name, plan] of Object.entries(PLANS))
    api.definePlan(plan.usagePlanId, `keygate-${name}`, plan.limits, 'api123:prod');
  apiGatewayMock.reset();
  for (const [command, operation] of api.operations)
    apiGatewayMock.on(command as typeof CreateApiKeyCommand).callsFake((input) => operation(input as never));
  let refused = 0;
  apiGatewayMock.on(UpdateUsagePlanCommand).callsFake((input) => {
    if (time.now < (options.throttledUntil ?? -Infinity)) {
      refused += 1;
      throw new TooManyRequestsException({ message: 'Too Many Requests', $metadata: {} });
    }
    return api.updateUsagePlan(input);
  });
  const sim = new FifoQueueSim(feed, time);
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).callsFake(async (input) => {
    sim.send(input.MessageBody, input.MessageGroupId, input.MessageDeduplicationId);
    return { MessageId: 'sent' };
  });

  const client = new APIGatewayClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
  const store = new MemoryKeyStore();
  const usagePlans = new ApiGatewayUsagePlans(client, {
    restApiId: 'api123',
    stageName: 'prod',
    backoff: { ...reconcilerBackoff(seeded(7)), sleep: sim.sleep },
  });
  const cache: AuthorizerCacheFlusher = { flush: async () => undefined, flushAt: async () => undefined };
  const logger = recordingLogger();
  const deps = { store, usagePlans, plans: PLANS, clock, cache, logger, namePrefix: 'keygate' };
  const reconcile = new SqsReconcileQueue(new SQSClient({ region: 'eu-west-1' }), QUEUE_URL);
  const tenants = new TenantService({ ...deps, prefix: 'sk', reconcile });
  const reconciler = new PlanReconciler({ ...deps, retireAfterMs: 10_000, sleep: sim.sleep });
  const handler = createReconcilerHandler(reconciler, logger);

  /** What must hold once reconciled: record, attachments and limits agree; nothing orphaned. */
  const expectConverged = async (tenantIds: string[]) => {
    const known = new Set<string>();
    const ownPlans = new Set<string>();
    const unsettled: string[] = [];
    for (const tenantId of tenantIds) {
      const tenant = (await store.getTenant(tenantId)) as Tenant;
      if ((tenant.appliedGeneration ?? 0) !== (tenant.planGeneration ?? 0)) unsettled.push(tenantId);
      expect(tenant.pendingUsageKeys ?? {}).toEqual({});
      expect(tenant.retiredUsageKeys ?? []).toEqual([]);
      for (const usage of Object.values(tenant.usageKeys)) {
        known.add(usage.id);
        expect(api.planOf(usage.id)?.id).toBe(usage.usagePlanId);
        expect(api.planOf(usage.id)?.limits).toEqual(tenant.limits);
      }
      if (tenant.plan === 'enterprise') ownPlans.add(tenant.usagePlanId as string);
    }
    expect(unsettled).toEqual([]);
    expect(api.apiKeyIds.filter((id) => !known.has(id))).toEqual([]);
    expect(api.usagePlanIds.filter((id) => !ownPlans.has(id) && !id.startsWith('up-'))).toEqual([]);
  };

  return { time, api, sim, tenants, handler, expectConverged, refused: () => refused };
}

/**
 * Fifty plan changes asked for at once, one per tenant, the way an operator moves many tenants
 * in one go: half raise an enterprise tenant's own usage plan (an `UpdateUsagePlan` each), half
 * move a tenant between shared plans (a new identifier, and the settle-time wait before the old
 * one is deleted).
 */
async function fiftyPlanChanges(w: ReturnType<typeof world>): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < 50; i += 1) {
    const tenantId = `tenant-${i}`;
    await w.tenants.create({ tenantId, name: tenantId, plan: 'enterprise', rateLimit: 5, burstLimit: 10 });
    ids.push(tenantId);
  }
  for (let i = 0; i < 50; i += 1) {
    const change: PlanRequest =
      i % 2 === 0 ? { plan: 'enterprise', rateLimit: 10 + i, burstLimit: 20 + i } : { plan: 'growth' };
    await w.tenants.changePlan(ids[i], change);
  }
  return ids;
}

describe('the reconcile queue under the UpdateUsagePlan quota', () => {
  it('applies fifty plan changes at 1 UpdateUsagePlan per 20 s, with nothing in the dead-letter queue', async () => {
    const w = world();
    const ids = await fiftyPlanChanges(w);

    await w.sim.drain(w.handler, w.time.now + 86_400_000);

    expect(w.sim.deadLetters.map((message) => message.body)).toEqual([]);
    expect(w.api.counts.throttled).toBeGreaterThan(0); // the quota really bit.
    // a throttle costs a plan change its own wait, never another change's receive count.
    expect(w.sim.stats.mostReceives).toBe(1);
    await w.expectConverged(ids);
  });

  it('outlasts two hours in which every UpdateUsagePlan is refused, with nothing in the dead-letter queue', async () => {
    const start = Date.parse(instant(0, '10:00'));
    const w = world({ throttledUntil: start + 2 * 3_600_000 });
    const ids = await fiftyPlanChanges(w);

    await w.sim.drain(w.handler, w.time.now + 86_400_000);

    expect(w.refused()).toBeGreaterThan(0);
    expect(w.sim.deadLetters.map((message) => message.body)).toEqual([]);
    await w.expectConverged(ids);
  });
});
