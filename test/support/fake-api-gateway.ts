import {
  APIGatewayClient,
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetApiKeysCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlansCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';

interface FakePlan {
  name: string;
  throttle: { rateLimit: number; burstLimit: number };
  quota?: { limit: number; period: string };
  stages: string[];
  keys: Set<string>;
}

/**
 * API Gateway's control plane as keygate uses it, in memory behind aws-sdk-client-mock, with
 * the rules that bite: an API key sits in one usage plan per stage (`ConflictException`), a plan
 * bound to a stage cannot be deleted, and `UpdateUsagePlan` is allowed once every 20 s per
 * account (`TooManyRequestsException`), on a clock the test moves.
 */
export function fakeApiGateway(now: () => number) {
  const mock = mockClient(APIGatewayClient);
  const apiKeys = new Map<string, { name: string; value: string }>();
  const plans = new Map<string, FakePlan>();
  let lastUpdate = -Infinity;
  let seq = 0;
  const meta = { $metadata: {} };
  const notFound = () => new NotFoundException({ message: 'Invalid resource', ...meta });
  const plan = (id: string | undefined): FakePlan => {
    const found = plans.get(id ?? '');
    if (found === undefined) throw notFound();
    return found;
  };
  const counts = { updateUsagePlan: 0, throttled: 0 };

  mock.on(CreateApiKeyCommand).callsFake(async (input) => {
    const id = `ak${(seq += 1)}`;
    apiKeys.set(id, { name: input.name, value: input.value });
    return { id, name: input.name };
  });
  mock.on(DeleteApiKeyCommand).callsFake(async (input) => {
    if (!apiKeys.delete(input.apiKey)) throw notFound();
    for (const p of plans.values()) p.keys.delete(input.apiKey);
    return {};
  });
  mock.on(GetApiKeysCommand).callsFake(async (input) => ({
    items: [...apiKeys].filter(([, key]) => key.name.startsWith(input.nameQuery ?? '')).map(([id, key]) => ({ id, name: key.name })),
  }));
  mock.on(CreateUsagePlanKeyCommand).callsFake(async (input) => {
    const target = plan(input.usagePlanId);
    if (!apiKeys.has(input.keyId)) throw notFound();
    for (const [id, other] of plans) {
      if (other.keys.has(input.keyId) && other.stages.some((stage) => target.stages.includes(stage))) {
        throw new ConflictException({ message: `Usage plan ${id} already has key ${input.keyId} on the same stage`, ...meta });
      }
    }
    target.keys.add(input.keyId);
    return {};
  });
  mock.on(GetUsagePlanKeyCommand).callsFake(async (input) => {
    if (!plan(input.usagePlanId).keys.has(input.keyId)) throw notFound();
    return { id: input.keyId };
  });
  mock.on(DeleteUsagePlanKeyCommand).callsFake(async (input) => {
    if (!plan(input.usagePlanId).keys.delete(input.keyId)) throw notFound();
    return {};
  });
  mock.on(CreateUsagePlanCommand).callsFake(async (input) => {
    const id = `up${(seq += 1)}`;
    plans.set(id, {
      name: input.name,
      throttle: { rateLimit: input.throttle.rateLimit, burstLimit: input.throttle.burstLimit },
      ...(input.quota === undefined ? {} : { quota: { limit: input.quota.limit, period: input.quota.period } }),
      stages: (input.apiStages ?? []).map((stage: { apiId: string; stage: string }) => `${stage.apiId}:${stage.stage}`),
      keys: new Set(),
    });
    return { id };
  });
  mock.on(GetUsagePlanCommand).callsFake(async (input) => {
    const p = plan(input.usagePlanId);
    return {
      id: input.usagePlanId,
      name: p.name,
      throttle: p.throttle,
      quota: p.quota,
      apiStages: p.stages.map((stage) => ({ apiId: stage.split(':')[0], stage: stage.split(':')[1] })),
    };
  });
  mock.on(GetUsagePlansCommand).callsFake(async () => ({ items: [...plans].map(([id, p]) => ({ id, name: p.name })) }));
  mock.on(UpdateUsagePlanCommand).callsFake(async (input) => {
    const p = plan(input.usagePlanId);
    if (now() - lastUpdate < 20_000) {
      counts.throttled += 1;
      throw new TooManyRequestsException({ message: 'Too Many Requests', ...meta });
    }
    lastUpdate = now();
    counts.updateUsagePlan += 1;
    for (const op of input.patchOperations ?? []) {
      if (op.path === '/throttle/rateLimit') p.throttle.rateLimit = Number(op.value);
      else if (op.path === '/throttle/burstLimit') p.throttle.burstLimit = Number(op.value);
      else if (op.path === '/quota/limit') p.quota = { period: p.quota?.period ?? 'DAY', limit: Number(op.value) };
      else if (op.path === '/quota/period') p.quota = { limit: p.quota?.limit ?? 0, period: String(op.value) };
      else if (op.path === '/quota' && op.op === 'remove') delete p.quota;
      else if (op.path === '/apiStages' && op.op === 'remove') p.stages = p.stages.filter((stage) => stage !== op.value);
      else throw new Error(`fake API Gateway: unsupported patch ${JSON.stringify(op)}`);
    }
    return {};
  });
  mock.on(DeleteUsagePlanCommand).callsFake(async (input) => {
    const p = plan(input.usagePlanId);
    if (p.stages.length > 0) throw new ConflictException({ message: 'Cannot delete usage plan associated with API stages', ...meta });
    plans.delete(input.usagePlanId);
    return {};
  });
  mock.on(FlushStageAuthorizersCacheCommand).resolves({});

  return {
    mock,
    apiKeys,
    plans,
    counts,
    /** A shared plan, as the stack deploys it. */
    definePlan(id: string, name: string, throttle: { rateLimit: number; burstLimit: number }, stage = 'api123:prod'): void {
      plans.set(id, { name, throttle, stages: [stage], keys: new Set() });
    },
    /** The plan an API key is in, if any. */
    planOf(apiKeyId: string): [string, FakePlan] | undefined {
      return [...plans].find(([, p]) => p.keys.has(apiKeyId));
    },
  };
}
