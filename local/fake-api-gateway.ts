import { randomBytes } from 'node:crypto';
import {
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  FlushStageAuthorizersCacheCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  NotFoundException,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
  type ApiKey,
  type ApiKeys,
  type CreateApiKeyRequest,
  type CreateUsagePlanKeyRequest,
  type CreateUsagePlanRequest,
  type DeleteApiKeyRequest,
  type DeleteUsagePlanKeyRequest,
  type DeleteUsagePlanRequest,
  type FlushStageAuthorizersCacheRequest,
  type GetApiKeysRequest,
  type GetUsagePlanKeyRequest,
  type GetUsagePlanKeysRequest,
  type GetUsagePlanRequest,
  type GetUsagePlansRequest,
  type GetUsageRequest,
  type UpdateUsagePlanRequest,
  type Usage,
  type UsagePlan,
  type UsagePlanKey,
  type UsagePlanKeys,
  type UsagePlans,
} from '@aws-sdk/client-api-gateway';
import type { PlanLimits } from '../lambdas/core/model';
import type { QuotaPeriod } from '../lambdas/core/plans/quota';
import type { ApiGatewaySender } from '../lambdas/runtime/api-gateway';
import { pageOf } from './fake-paging';
import { applyPatch, badRequest, type StoredPlan } from './usage-plan-patch';

interface StoredKey {
  readonly name: string;
  readonly value: string;
  readonly enabled: boolean;
  readonly createdDate: Date;
  readonly description?: string;
  readonly tags?: Record<string, string>;
}

/** Settings of {@link FakeApiGateway}. */
export interface FakeApiGatewayOptions {
  /** The clock the `UpdateUsagePlan` rate is measured on, in epoch ms. @default Date.now */
  readonly now?: () => number;
  /**
   * The least time between two `UpdateUsagePlan` calls of the account; a call sooner is refused
   * with `TooManyRequestsException`, as API Gateway's fixed control-plane quota does.
   *
   * @default 0 - no limit
   */
  readonly updateUsagePlanIntervalMs?: number;
  /**
   * The requests an API key made in a usage plan between two dates (inclusive, `YYYY-MM-DD`),
   * for `GetUsage`: API Gateway counts them as it serves requests, which this fake does not.
   *
   * @default - none
   */
  readonly usage?: (usagePlanId: string, apiKeyId: string, startDate: string, endDate: string) => number;
}

const meta = { $metadata: {} };
const DAY_MS = 86_400_000;

/**
 * API Gateway's control plane for API keys and usage plans, in memory, as its API reference
 * and observed answers describe it: API key values are unique (`ConflictException`); the tags a
 * create carries are kept and answered (a key starting with `aws:` is a `BadRequestException`); unknown
 * ids answer `NotFoundException`; an API key sits in one usage plan per stage
 * (`ConflictException`); a usage plan bound to API stages cannot be deleted
 * (`BadRequestException`) until `UpdateUsagePlan` removes them (`remove /apiStages` with
 * `apiId:stage`); `UpdateUsagePlan` takes only the patch paths keygate's adapter relies on and
 * refuses others (`BadRequestException`). Commands go through {@link send}, so the adapter
 * that runs in AWS runs unchanged on it; the local gateway enforces its plans on requests.
 * `test/contract/api-gateway.contract.test.ts` holds it to this.
 */
export class FakeApiGateway implements ApiGatewaySender {
  private readonly apiKeys = new Map<string, StoredKey>();
  private readonly plans = new Map<string, StoredPlan>();
  private readonly now: () => number;
  private lastUpdate = -Infinity;
  /** How often `UpdateUsagePlan` was applied and refused for its rate, for tests of a throttled account. */
  readonly counts = { updateUsagePlan: 0, throttled: 0 };

  /**
   * Every operation by its command: {@link send} dispatches on it, and a test can hand the same
   * operations to `aws-sdk-client-mock` to run them behind a real `APIGatewayClient`.
   */
  readonly operations = new Map<abstract new (...args: never[]) => unknown, (input: never) => Promise<unknown>>([
    [CreateApiKeyCommand, (input: CreateApiKeyRequest) => this.createApiKey(input)],
    [DeleteApiKeyCommand, (input: DeleteApiKeyRequest) => this.deleteApiKey(input)],
    [GetApiKeysCommand, (input: GetApiKeysRequest) => this.getApiKeys(input)],
    [CreateUsagePlanKeyCommand, (input: CreateUsagePlanKeyRequest) => this.createUsagePlanKey(input)],
    [GetUsagePlanKeyCommand, (input: GetUsagePlanKeyRequest) => this.getUsagePlanKey(input)],
    [GetUsagePlanKeysCommand, (input: GetUsagePlanKeysRequest) => this.getUsagePlanKeys(input)],
    [DeleteUsagePlanKeyCommand, (input: DeleteUsagePlanKeyRequest) => this.deleteUsagePlanKey(input)],
    [CreateUsagePlanCommand, (input: CreateUsagePlanRequest) => this.createUsagePlan(input)],
    [GetUsagePlanCommand, (input: GetUsagePlanRequest) => this.getUsagePlan(input)],
    [GetUsagePlansCommand, (input: GetUsagePlansRequest) => this.getUsagePlans(input)],
    [UpdateUsagePlanCommand, (input: UpdateUsagePlanRequest) => this.updateUsagePlan(input)],
    [DeleteUsagePlanCommand, (input: DeleteUsagePlanRequest) => this.deleteUsagePlan(input)],
    [GetUsageCommand, (input: GetUsageRequest) => this.getUsage(input)],
    [
      FlushStageAuthorizersCacheCommand,
      (input: FlushStageAuthorizersCacheRequest) => this.flushStageAuthorizersCache(input),
    ],
  ]);

  constructor(private readonly options: FakeApiGatewayOptions = {}) {
    this.now = options.now ?? Date.now;
  }

  /**
   * Runs a command as `APIGatewayClient.send` would, answering its output or throwing the
   * service's exception. The SDK's `send` is overloaded for every command; this takes the ones
   * in {@link operations}, and refuses the rest loudly.
   */
  readonly send = (async (command: { readonly input: unknown }) => {
    const operation = this.operations.get(command.constructor as abstract new (...args: never[]) => unknown);
    if (operation === undefined) throw new Error(`the fake API Gateway does not answer ${command.constructor.name}`);
    return { ...meta, ...((await operation(command.input as never)) as object) };
  }) as unknown as ApiGatewaySender['send'];

  // the operations, named as in API Gateway's API reference.

  /**
   * `CreateApiKey`: the value is unique in the account, so a second key with it is a conflict; a
   * key is disabled unless `enabled` says otherwise.
   */
  async createApiKey(input: CreateApiKeyRequest): Promise<ApiKey> {
    const value = input.value ?? randomBytes(20).toString('hex');
    const tags = checkedTags(input.tags);
    if ([...this.apiKeys.values()].some((key) => key.value === value))
      throw new ConflictException({ message: 'API Key already exists', ...meta });
    const id = `k${randomBytes(5).toString('hex')}`;
    this.apiKeys.set(id, {
      name: input.name ?? id,
      value,
      enabled: input.enabled ?? false,
      createdDate: new Date(this.now()),
      ...(input.description === undefined ? {} : { description: input.description }),
      ...(tags && { tags }),
    });
    return this.describeKey(id, false);
  }

  /** `DeleteApiKey`: the key also leaves every usage plan. */
  async deleteApiKey(input: DeleteApiKeyRequest): Promise<object> {
    const apiKeyId = required(input.apiKey, 'apiKey');
    this.key(apiKeyId);
    this.apiKeys.delete(apiKeyId);
    for (const plan of this.plans.values()) plan.keys.delete(apiKeyId);
    return {};
  }

  /**
   * `GetApiKeys`: `nameQuery` matches the start of a key's name; pages of `limit` keys (25 unless
   * given, at most 500), the next one at `position`; each key's value only with `includeValues`.
   */
  async getApiKeys(input: GetApiKeysRequest): Promise<ApiKeys> {
    const ids = [...this.apiKeys].filter(([, key]) => key.name.startsWith(input.nameQuery ?? '')).map(([id]) => id);
    const { items, position } = pageOf(ids, input.position, input.limit);
    return {
      items: items.map((id) => this.describeKey(id, input.includeValues === true)),
      ...(position && { position }),
    };
  }

  /** `CreateUsagePlanKey`: a key is in one usage plan per stage; a key already in this plan is a conflict too. */
  async createUsagePlanKey(input: CreateUsagePlanKeyRequest): Promise<UsagePlanKey> {
    const keyId = required(input.keyId, 'keyId');
    const target = this.plan(required(input.usagePlanId, 'usagePlanId'));
    const key = this.key(keyId);
    for (const [id, other] of this.plans) {
      if (other.keys.has(keyId) && (other === target || other.stages.some((stage) => target.stages.includes(stage)))) {
        throw new ConflictException({
          message: `Usage Plan ${id} already has API Key ${keyId} for one of its stages`,
          ...meta,
        });
      }
    }
    target.keys.add(keyId);
    return { id: keyId, name: key.name, type: 'API_KEY' };
  }

  /** `GetUsagePlanKey`: `NotFoundException` when the key is not in the plan. */
  async getUsagePlanKey(input: GetUsagePlanKeyRequest): Promise<UsagePlanKey> {
    const keyId = required(input.keyId, 'keyId');
    if (!this.plan(required(input.usagePlanId, 'usagePlanId')).keys.has(keyId))
      throw notFound('Invalid Usage Plan Key identifier specified');
    return { id: keyId, name: this.apiKeys.get(keyId)?.name, type: 'API_KEY' };
  }

  /**
   * `GetUsagePlanKeys`: the keys in a plan, `nameQuery` matching the start of their names, in
   * pages as {@link getApiKeys} answers them; `NotFoundException` for an unknown plan.
   */
  async getUsagePlanKeys(input: GetUsagePlanKeysRequest): Promise<UsagePlanKeys> {
    const plan = this.plan(required(input.usagePlanId, 'usagePlanId'));
    const ids = [...plan.keys].filter((id) => this.key(id).name.startsWith(input.nameQuery ?? ''));
    const { items, position } = pageOf(ids, input.position, input.limit);
    return {
      items: items.map((id) => ({ id, name: this.key(id).name, type: 'API_KEY' })),
      ...(position && { position }),
    };
  }

  /** `DeleteUsagePlanKey`: `NotFoundException` when the key is not in the plan. */
  async deleteUsagePlanKey(input: DeleteUsagePlanKeyRequest): Promise<object> {
    const keyId = required(input.keyId, 'keyId');
    if (!this.plan(required(input.usagePlanId, 'usagePlanId')).keys.delete(keyId))
      throw notFound('Invalid Usage Plan Key identifier specified');
    return {};
  }

  /** `CreateUsagePlan`: bound to the stages given, with the throttle and quota given. */
  async createUsagePlan(input: CreateUsagePlanRequest): Promise<UsagePlan> {
    const tags = checkedTags(input.tags);
    const id = `p${randomBytes(5).toString('hex')}`;
    this.plans.set(id, {
      name: required(input.name, 'name'),
      ...(tags && { tags }),
      throttle: { rateLimit: input.throttle?.rateLimit ?? 0, burstLimit: input.throttle?.burstLimit ?? 0 },
      ...(input.quota?.limit === undefined
        ? {}
        : { quota: { limit: input.quota.limit, period: input.quota.period as QuotaPeriod } }),
      stages: (input.apiStages ?? []).map((stage) => `${stage.apiId}:${stage.stage}`),
      keys: new Set(),
    });
    return this.describe(id);
  }

  /** `GetUsagePlan`. */
  async getUsagePlan(input: GetUsagePlanRequest): Promise<UsagePlan> {
    return this.describe(required(input.usagePlanId, 'usagePlanId'));
  }

  /** `GetUsagePlans`: one page holds every plan. */
  async getUsagePlans(_input: GetUsagePlansRequest): Promise<UsagePlans> {
    return { items: [...this.plans.keys()].map((id) => this.describe(id)) };
  }

  /**
   * `UpdateUsagePlan`: the patch operations are applied in order, all or none; a path this fake
   * does not know is refused as API Gateway refuses an invalid one (`BadRequestException`).
   */
  async updateUsagePlan(input: UpdateUsagePlanRequest): Promise<UsagePlan> {
    const usagePlanId = required(input.usagePlanId, 'usagePlanId');
    const stored = this.plan(usagePlanId);
    if (this.now() - this.lastUpdate < (this.options.updateUsagePlanIntervalMs ?? 0)) {
      this.counts.throttled += 1;
      throw new TooManyRequestsException({ message: 'Too Many Requests', ...meta });
    }
    const next: StoredPlan = {
      ...stored,
      throttle: { ...stored.throttle },
      quota: stored.quota && { ...stored.quota },
      stages: [...stored.stages],
    };
    for (const { op, path, value } of input.patchOperations ?? []) applyPatch(next, op ?? '', path ?? '', value);
    this.plans.set(usagePlanId, next);
    this.lastUpdate = this.now();
    this.counts.updateUsagePlan += 1;
    return this.describe(usagePlanId);
  }

  /** `DeleteUsagePlan`: refused while the plan is bound to API stages. */
  async deleteUsagePlan(input: DeleteUsagePlanRequest): Promise<object> {
    const usagePlanId = required(input.usagePlanId, 'usagePlanId');
    const stored = this.plan(usagePlanId);
    if (stored.stages.length > 0) {
      throw badRequest(
        `Cannot delete Usage Plan ${usagePlanId} because there are API Stages associated with it, including ${stored.stages[0]}`,
      );
    }
    this.plans.delete(usagePlanId);
    return {};
  }

  /**
   * `GetUsage`: per API key, one `[used, remaining]` pair per day of the range; the requests
   * counted for the range (see {@link FakeApiGatewayOptions.usage}) fall on its first day.
   */
  async getUsage(input: GetUsageRequest): Promise<Usage> {
    const usagePlanId = required(input.usagePlanId, 'usagePlanId');
    const startDate = required(input.startDate, 'startDate');
    const endDate = required(input.endDate, 'endDate');
    const stored = this.plan(usagePlanId);
    const keyIds = [...stored.keys].filter((keyId) => input.keyId === undefined || keyId === input.keyId);
    const days = Math.max(1, Math.round((Date.parse(endDate) - Date.parse(startDate)) / DAY_MS) + 1);
    const items: Record<string, number[][]> = {};
    for (const keyId of keyIds) {
      const used = this.options.usage?.(usagePlanId, keyId, startDate, endDate) ?? 0;
      const remaining = Math.max(0, (stored.quota?.limit ?? 0) - used);
      items[keyId] = Array.from({ length: days }, (_, day) => [day === 0 ? used : 0, remaining]);
    }
    return { usagePlanId, startDate, endDate, items };
  }

  /** `FlushStageAuthorizersCache`: there is no cache here to flush. */
  async flushStageAuthorizersCache(_input: FlushStageAuthorizersCacheRequest): Promise<object> {
    return {};
  }

  // what the stack deploys and what survives a restart, put in place as it is.

  /** A usage plan with a known id, as the stack deploys one, bound to `stage` (`apiId:stage`). */
  definePlan(usagePlanId: string, name: string, limits: PlanLimits, stage: string): void {
    this.plans.set(usagePlanId, {
      name,
      throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
      ...(limits.quota === undefined ? {} : { quota: { ...limits.quota } }),
      stages: [stage],
      keys: new Set(),
    });
  }

  /** An API key with a known id and value, in `usagePlanId` when that plan exists. */
  restoreApiKey(apiKeyId: string, name: string, value: string, usagePlanId: string): void {
    this.apiKeys.set(apiKeyId, { name, value, enabled: true, createdDate: new Date(this.now()) });
    this.plans.get(usagePlanId)?.keys.add(apiKeyId);
  }

  // what a test or the local gateway reads.

  /** The id of the API key with this value. */
  apiKeyIdOf(value: string): string | undefined {
    return [...this.apiKeys].find(([, key]) => key.value === value)?.[0];
  }

  /** The usage plan an API key is in and its limits (keygate binds each plan to one stage). */
  planOf(apiKeyId: string): { id: string; limits: PlanLimits } | undefined {
    const found = [...this.plans].find(([, plan]) => plan.keys.has(apiKeyId));
    return found && { id: found[0], limits: limitsOf(found[1]) };
  }

  /** The tags an API key or usage plan was created with. */
  tagsOf(id: string): Record<string, string> | undefined {
    const tags = this.apiKeys.get(id)?.tags ?? this.plans.get(id)?.tags;
    return tags && { ...tags };
  }

  /** A usage plan's limits. */
  limitsOf(usagePlanId: string): PlanLimits | undefined {
    const stored = this.plans.get(usagePlanId);
    return stored && limitsOf(stored);
  }

  /** Every API key id. */
  get apiKeyIds(): string[] {
    return [...this.apiKeys.keys()];
  }

  /** Every usage plan id. */
  get usagePlanIds(): string[] {
    return [...this.plans.keys()];
  }

  private key(apiKeyId: string): StoredKey {
    const key = this.apiKeys.get(apiKeyId);
    if (key === undefined) throw notFound('Invalid API Key identifier specified');
    return key;
  }

  private describeKey(apiKeyId: string, includeValue: boolean): ApiKey {
    const key = this.key(apiKeyId);
    return {
      id: apiKeyId,
      name: key.name,
      enabled: key.enabled,
      createdDate: key.createdDate,
      ...(key.description === undefined ? {} : { description: key.description }),
      ...(includeValue && { value: key.value }),
      ...(key.tags && { tags: { ...key.tags } }),
    };
  }

  private plan(usagePlanId: string): StoredPlan {
    const stored = this.plans.get(usagePlanId);
    if (stored === undefined) throw notFound('Invalid Usage Plan ID specified');
    return stored;
  }

  private describe(usagePlanId: string): UsagePlan {
    const stored = this.plan(usagePlanId);
    return {
      id: usagePlanId,
      name: stored.name,
      throttle: { ...stored.throttle },
      ...(stored.quota === undefined ? {} : { quota: { ...stored.quota } }),
      apiStages: stored.stages.map((stage) => ({
        apiId: stage.slice(0, stage.indexOf(':')),
        stage: stage.slice(stage.indexOf(':') + 1),
      })),
      ...(stored.tags && { tags: { ...stored.tags } }),
    };
  }
}

/** A member the API requires; the SDK types them as optional. */
function required(value: string | undefined, name: string): string {
  if (value === undefined || value === '') throw badRequest(`${name} is required`);
  return value;
}

/**
 * The tags of a create, as API Gateway takes them: a key of 1 to 128 characters that does not
 * start with `aws:`, a value of at most 256 (the API reference's `TagResource`).
 */
function checkedTags(tags: Record<string, string> | undefined): Record<string, string> | undefined {
  if (tags === undefined) return undefined;
  for (const [key, value] of Object.entries(tags)) {
    if (key.length < 1 || key.length > 128 || key.startsWith('aws:') || value.length > 256)
      throw badRequest(`Invalid tag: ${key.slice(0, 128)}`);
  }
  return { ...tags };
}

function notFound(message: string): NotFoundException {
  return new NotFoundException({ message, ...meta });
}

function limitsOf(stored: StoredPlan): PlanLimits {
  return { ...stored.throttle, ...(stored.quota === undefined ? {} : { quota: { ...stored.quota } }) };
}
