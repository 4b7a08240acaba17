import {
  ConflictException,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  GetUsagePlanCommand,
  GetUsagePlansCommand,
  GetUsagePlanKeyCommand,
  UpdateUsagePlanCommand,
  type PatchOperation,
} from '@aws-sdk/client-api-gateway';
import type { PlanLimits } from '../core/model';
import type { UsagePlanApi } from '../core/plans/usage-plans';
import { withBackoff, type BackoffOptions } from '../core/support/retry';
import { isAccessDenied, isNotFound, isTooManyRequests, type ApiGatewaySender } from './api-gateway';

/** Waits for `work`, taking API Gateway's `NotFoundException` as success: the thing is already gone. */
async function ignoreNotFound(work: Promise<unknown>): Promise<void> {
  try {
    await work;
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
}

/** Settings of {@link ApiGatewayUsagePlans}. */
export interface ApiGatewayUsagePlansProps {
  /** The REST API whose stage the usage plans created here are bound to. */
  readonly restApiId: string;
  /** The stage of `restApiId` the usage plans created here are bound to. */
  readonly stageName: string;
  /**
   * Further stages every usage plan created here is bound to, and that a plan's update binds it
   * to when it is not yet (the guarded API's, so a plan made before that API existed catches up).
   *
   * @default - none
   */
  readonly otherStages?: readonly { readonly restApiId: string; readonly stageName: string }[];
  /** How throttled calls are retried. @default - `withBackoff`'s defaults. */
  readonly backoff?: BackoffOptions;
  /**
   * The stack's name prefix, put on every API key and usage plan created here as the tag
   * `keygate:stack`: IAM conditions and the teardown sweep tell this stack's resources by it.
   *
   * @default - no tag
   */
  readonly stackTag?: string;
}

/**
 * {@link UsagePlanApi} on API Gateway's control plane. Every call is retried with backoff while
 * API Gateway answers `TooManyRequestsException`; calls that find their work already done succeed.
 */
export class ApiGatewayUsagePlans implements UsagePlanApi {
  private readonly restApiId: string;
  private readonly stageName: string;
  private readonly otherStages: readonly { readonly restApiId: string; readonly stageName: string }[];
  private readonly backoff: BackoffOptions | undefined;
  private readonly tags: Record<string, string> | undefined;

  constructor(
    private readonly client: ApiGatewaySender,
    props: ApiGatewayUsagePlansProps,
  ) {
    this.restApiId = props.restApiId;
    this.stageName = props.stageName;
    this.otherStages = props.otherStages ?? [];
    this.backoff = props.backoff;
    this.tags = props.stackTag === undefined ? undefined : { 'keygate:stack': props.stackTag };
  }

  async createApiKey(name: string, value: string): Promise<string> {
    const created = await this.call(() =>
      this.client.send(new CreateApiKeyCommand({ name, value, enabled: true, tags: this.tags })),
    );
    if (!created.id) throw new Error(`CreateApiKey answered without an id for API key "${name}"`);
    return created.id;
  }

  async deleteApiKey(apiKeyId: string): Promise<void> {
    try {
      await ignoreNotFound(this.call(() => this.client.send(new DeleteApiKeyCommand({ apiKey: apiKeyId }))));
    } catch (error) {
      // IAM denies deleting a key that lacks the stack's tag, and a key already gone lacks every
      // tag: a repeated delete is answered AccessDenied, not NotFound. GET tells the two apart.
      if (!isAccessDenied(error) || (await this.apiKeyExists(apiKeyId, error))) throw error;
    }
  }

  async attachKey(usagePlanId: string, apiKeyId: string): Promise<void> {
    try {
      await this.call(() =>
        this.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId: apiKeyId, keyType: 'API_KEY' })),
      );
    } catch (error) {
      if (!(error instanceof ConflictException)) throw error;
      // API Gateway also answers Conflict when the key sits in another plan of the same stage,
      // so only a key found in this very plan counts as already attached.
      if (!(await this.isInPlan(usagePlanId, apiKeyId))) throw error;
    }
  }

  async detachKey(usagePlanId: string, apiKeyId: string): Promise<void> {
    await ignoreNotFound(
      this.call(() => this.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId, keyId: apiKeyId }))),
    );
  }

  async createUsagePlan(name: string, limits: PlanLimits): Promise<string> {
    const created = await this.call(() =>
      this.client.send(
        new CreateUsagePlanCommand({
          name,
          apiStages: [
            { apiId: this.restApiId, stage: this.stageName },
            ...this.otherStages.map((stage) => ({ apiId: stage.restApiId, stage: stage.stageName })),
          ],
          throttle: { rateLimit: limits.rateLimit, burstLimit: limits.burstLimit },
          quota: limits.quota && { limit: limits.quota.limit, period: limits.quota.period },
          tags: this.tags,
        }),
      ),
    );
    if (!created.id) throw new Error(`CreateUsagePlan answered without an id for usage plan "${name}"`);
    return created.id;
  }

  async updateUsagePlan(usagePlanId: string, limits: PlanLimits): Promise<void> {
    // the current plan decides the quota operations: `remove /quota` fails on a plan without one.
    const current = await this.call(() => this.client.send(new GetUsagePlanCommand({ usagePlanId })));
    const same =
      current.throttle?.rateLimit === limits.rateLimit &&
      current.throttle?.burstLimit === limits.burstLimit &&
      current.quota?.limit === limits.quota?.limit &&
      current.quota?.period === limits.quota?.period;
    const bound = new Set((current.apiStages ?? []).map((stage) => `${stage.apiId}:${stage.stage}`));
    const unbound = this.otherStages
      .map((stage) => `${stage.restApiId}:${stage.stageName}`)
      .filter((stage) => !bound.has(stage));
    // UpdateUsagePlan is limited to one call every 20 s per account: never spend one on nothing.
    if (same && unbound.length === 0) return;
    const patchOperations: PatchOperation[] = [
      { op: 'replace', path: '/throttle/rateLimit', value: String(limits.rateLimit) },
      { op: 'replace', path: '/throttle/burstLimit', value: String(limits.burstLimit) },
    ];
    if (limits.quota) {
      // a quota is replaced field by field when the plan has one and added when it has none.
      const op = current.quota ? 'replace' : 'add';
      patchOperations.push(
        { op, path: '/quota/limit', value: String(limits.quota.limit) },
        { op, path: '/quota/period', value: limits.quota.period },
      );
    } else if (current.quota) {
      patchOperations.push({ op: 'remove', path: '/quota' });
    }
    for (const stage of unbound) patchOperations.push({ op: 'add', path: '/apiStages', value: stage });
    await this.call(() => this.client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations })));
  }

  async deleteUsagePlan(usagePlanId: string): Promise<void> {
    await ignoreNotFound(this.unbindAndDelete(usagePlanId));
  }

  async getUsage(usagePlanId: string, apiKeyId: string, from: string, to: string): Promise<number> {
    let used = 0;
    let position: string | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(new GetUsageCommand({ usagePlanId, keyId: apiKeyId, startDate: from, endDate: to, position })),
      );
      // each day is `[used, remaining]`.
      for (const [dayUsed] of page.items?.[apiKeyId] ?? []) used += dayUsed ?? 0;
      position = page.position;
    } while (position);
    return used;
  }

  /**
   * Finds usage plans by name (`GetUsagePlans`, every page): the stack passes its shared plans'
   * names, not their ids, since ids would tie each function to the stage it serves.
   *
   * @throws Error naming the plans that do not exist.
   */
  async findUsagePlanIds(names: readonly string[]): Promise<Record<string, string>> {
    const found = await this.usagePlanIdsNamed(names);
    const missing = names.filter((name) => found[name] === undefined);
    if (missing.length > 0) throw new Error(`usage plans not found: ${missing.join(', ')}`);
    return found;
  }

  async findApiKeys(namePrefix: string): Promise<{ id: string; name: string }[]> {
    const found: { id: string; name: string }[] = [];
    let position: string | undefined;
    do {
      const page = await this.call(() =>
        this.client.send(new GetApiKeysCommand({ nameQuery: namePrefix, position, limit: 500 })),
      );
      for (const key of page.items ?? []) {
        if (key.id !== undefined && key.name?.startsWith(namePrefix) === true)
          found.push({ id: key.id, name: key.name });
      }
      position = page.position;
    } while (position);
    return found;
  }

  async findUsagePlan(name: string): Promise<string | undefined> {
    return (await this.usagePlanIdsNamed([name]))[name];
  }

  /** The ids of the usage plans with these names (`GetUsagePlans`, every page); a name not found is left out. */
  private async usagePlanIdsNamed(names: readonly string[]): Promise<Record<string, string>> {
    const found: Record<string, string> = {};
    let position: string | undefined;
    do {
      const page = await this.call(() => this.client.send(new GetUsagePlansCommand({ position, limit: 500 })));
      for (const plan of page.items ?? []) {
        if (plan.name !== undefined && plan.id !== undefined && names.includes(plan.name)) found[plan.name] = plan.id;
      }
      position = page.position;
    } while (position);
    return found;
  }

  /** Whether the API key exists; `denied` is thrown again when even the GET is refused. */
  private async apiKeyExists(apiKeyId: string, denied: unknown): Promise<boolean> {
    try {
      await this.call(() => this.client.send(new GetApiKeyCommand({ apiKey: apiKeyId })));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw denied;
    }
  }

  private async isInPlan(usagePlanId: string, apiKeyId: string): Promise<boolean> {
    try {
      await this.call(() => this.client.send(new GetUsagePlanKeyCommand({ usagePlanId, keyId: apiKeyId })));
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw error;
    }
  }

  private async unbindAndDelete(usagePlanId: string): Promise<void> {
    // API Gateway refuses to delete a plan bound to stages; reading them first keeps a repeated
    // call from removing a stage that an earlier, half-finished call already removed.
    const plan = await this.call(() => this.client.send(new GetUsagePlanCommand({ usagePlanId })));
    const patchOperations: PatchOperation[] = (plan.apiStages ?? []).map((stage) => ({
      op: 'remove',
      path: '/apiStages',
      value: `${stage.apiId}:${stage.stage}`,
    }));
    if (patchOperations.length > 0) {
      await this.call(() => this.client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations })));
    }
    await this.call(() => this.client.send(new DeleteUsagePlanCommand({ usagePlanId })));
  }

  private call<T>(run: () => Promise<T>): Promise<T> {
    return withBackoff(run, isTooManyRequests, this.backoff);
  }
}
