import {
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  type APIGatewayClient,
} from '@aws-sdk/client-api-gateway';
import { withBackoff } from '../core/support/retry';
import { isTooManyRequests } from '../runtime/api-gateway';
import { ApiGatewayUsagePlans } from '../runtime/api-gateway-usage-plans';
import type { Logger } from '../core/support/logger';

/** The tag keygate puts on every API key and usage plan it creates at run time. */
export const STACK_TAG = 'keygate:stack';

/** What one stack's run-time resources are recognised by. */
export interface SweepTarget {
  /** The REST API of the stack. */
  readonly restApiId: string;
  /** The stack's name prefix: run-time API keys and usage plans are named `<namePrefix>-…`. */
  readonly namePrefix: string;
  /** The shared plans' ids: CloudFormation owns them, the sweep leaves them. */
  readonly sharedPlanIds: readonly string[];
}

/** What a sweep did, and whether anything is left for the next call. */
export interface SweepResult {
  readonly deletedApiKeys: number;
  readonly deletedUsagePlans: number;
  /** True when the time budget ran out before everything was deleted. */
  readonly remaining: boolean;
}

/** Dependencies of {@link sweep}. */
export interface SweepDeps {
  readonly client: APIGatewayClient;
  readonly logger: Logger;
  /** Whether there is time left to start another deletion (the Lambda's deadline). */
  readonly hasTime: () => boolean;
  /** Waits between throttled calls. @default - setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Deletes what keygate created at run time for one stack: its tenants' API keys and its
 * enterprise usage plans (unbound from the stage first, or the stage could not be deleted).
 * A usage plan is the stack's when it is named `<namePrefix>-…` and bound to the stack's API or
 * tagged `keygate:stack` with the prefix;
 * an API key when it is named `<namePrefix>-…` and either sits in one of those plans or carries
 * the `keygate:stack` tag with the prefix. A name prefix alone is not enough: stack `Keygate`
 * must not take stack `Keygate-2`'s keys. Every step is idempotent (not found is done), so a
 * call cut short by the budget, or repeated by CloudFormation, converges.
 */
export async function sweep(target: SweepTarget, deps: SweepDeps): Promise<SweepResult> {
  const backoff = { sleep: deps.sleep, attempts: 8, baseMs: 500 };
  const call = <T>(run: () => Promise<T>): Promise<T> => withBackoff(run, isTooManyRequests, backoff);
  const plans = new ApiGatewayUsagePlans(deps.client, { restApiId: target.restApiId, stageName: '-', backoff });
  const prefix = `${target.namePrefix}-`;

  const ours: { id: string; name: string }[] = [];
  for await (const plan of pages((position) =>
    call(() => deps.client.send(new GetUsagePlansCommand({ position, limit: 500 }))),
  )) {
    const bound = (plan.apiStages ?? []).some((stage) => stage.apiId === target.restApiId);
    // tagged: an enterprise plan a crashed reconciler step unbound but did not delete.
    if (plan.id === undefined || (!bound && plan.tags?.[STACK_TAG] !== target.namePrefix)) continue;
    ours.push({ id: plan.id, name: plan.name ?? '' });
  }
  const keysInOurPlans = new Set<string>();
  for (const plan of ours) {
    for await (const key of pages((position) =>
      call(() => deps.client.send(new GetUsagePlanKeysCommand({ usagePlanId: plan.id, position, limit: 500 }))),
    )) {
      if (key.id !== undefined) keysInOurPlans.add(key.id);
    }
  }

  let deletedApiKeys = 0;
  let deletedUsagePlans = 0;
  const out = (): SweepResult => ({ deletedApiKeys, deletedUsagePlans, remaining: true });
  for await (const key of pages((position) =>
    call(() => deps.client.send(new GetApiKeysCommand({ nameQuery: target.namePrefix, position, limit: 500 }))),
  )) {
    if (key.id === undefined || key.name?.startsWith(prefix) !== true) continue;
    if (!keysInOurPlans.has(key.id) && key.tags?.[STACK_TAG] !== target.namePrefix) continue;
    if (!deps.hasTime()) return out();
    await plans.deleteApiKey(key.id);
    deletedApiKeys++;
  }
  for (const plan of ours) {
    if (target.sharedPlanIds.includes(plan.id) || !plan.name.startsWith(prefix)) continue;
    if (!deps.hasTime()) return out();
    await plans.deleteUsagePlan(plan.id);
    deletedUsagePlans++;
  }
  deps.logger.info('teardown sweep done', { deletedApiKeys, deletedUsagePlans });
  return { deletedApiKeys, deletedUsagePlans, remaining: false };
}

/** Every item of a paginated API Gateway listing. */
async function* pages<T>(
  fetch: (position: string | undefined) => Promise<{ items?: T[]; position?: string }>,
): AsyncGenerator<T> {
  let position: string | undefined;
  do {
    const page = await fetch(position);
    yield* page.items ?? [];
    position = page.position;
  } while (position !== undefined);
}
