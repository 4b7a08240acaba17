import type { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import type { Logger } from '../core/support/logger';
import { sweep, type SweepTarget } from './sweep';

/** The custom resource event fields the handlers read (the Provider framework's shape). */
export interface TeardownEvent {
  readonly RequestType: 'Create' | 'Update' | 'Delete';
  readonly PhysicalResourceId?: string;
  readonly ResourceProperties: {
    readonly RestApiId: string;
    readonly NamePrefix: string;
    readonly SharedPlanIds?: readonly string[];
    /** How long a Delete may sweep, from its onEvent; CloudFormation sends it as a string. */
    readonly SweepSeconds?: string | number;
  };
  /** What onEvent answered for a Delete; the Provider framework hands it to every isComplete. */
  readonly Data?: { readonly SweepDeadline?: string };
}

/** Dependencies of the teardown handlers. */
export interface TeardownDeps {
  readonly client: APIGatewayClient;
  readonly logger: Logger;
  /** How long the current invocation may still run, in ms (the Lambda context's). */
  readonly remainingMs: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default - Date.now */
  readonly now?: () => number;
}

/**
 * The margin kept before the Lambda's and the sweep's deadlines: the longest one deletion can take
 * (an enterprise plan is three calls, each retried up to 8 times with backoff from 500 ms: about
 * 64 s of waiting each), so no deletion is cut between unbinding a plan and deleting it.
 */
export const MARGIN_MS = 240_000;
/**
 * How long a Delete sweeps by default: CloudFormation fails a custom resource after at most an
 * hour, so the sweep stops with 10 minutes to spare and the next `cdk destroy` goes on.
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-customresource.html
 */
export const DEFAULT_SWEEP_SECONDS = 50 * 60;

/** The one physical id: there is nothing to replace on update. */
export const PHYSICAL_ID = 'keygate-teardown';

/**
 * Create and Update do nothing; a Delete gets its deadline (`Data.SweepDeadline`, now plus
 * `SweepSeconds`) and is done by {@link isComplete}, in as many calls as fit before it.
 */
export async function onEvent(
  event: TeardownEvent,
  now: () => number = Date.now,
): Promise<{ PhysicalResourceId: string; Data?: { SweepDeadline: string } }> {
  const PhysicalResourceId = event.PhysicalResourceId ?? PHYSICAL_ID;
  if (event.RequestType !== 'Delete') return { PhysicalResourceId };
  const seconds = Number(event.ResourceProperties.SweepSeconds ?? DEFAULT_SWEEP_SECONDS);
  return { PhysicalResourceId, Data: { SweepDeadline: new Date(now() + seconds * 1000).toISOString() } };
}

/**
 * On Delete, sweeps the stack's run-time API keys and enterprise usage plans until none is left;
 * the Provider framework calls again while `IsComplete` is false. Anything else is complete at once.
 * Each sweep starts from what is left, so a Delete that reaches its deadline fails (the stack goes
 * to `DELETE_FAILED`) and the next `cdk destroy`, a new Delete with a new deadline, continues.
 *
 * @throws Error saying to run `cdk destroy` again, when the deadline comes with work left.
 */
export async function isComplete(event: TeardownEvent, deps: TeardownDeps): Promise<{ IsComplete: boolean }> {
  if (event.RequestType !== 'Delete') return { IsComplete: true };
  const props = event.ResourceProperties;
  const target: SweepTarget = {
    restApiId: props.RestApiId,
    namePrefix: props.NamePrefix,
    sharedPlanIds: props.SharedPlanIds ?? [],
  };
  const now = deps.now ?? Date.now;
  const deadline = Date.parse(event.Data?.SweepDeadline ?? '');
  const beforeDeadline = () => Number.isNaN(deadline) || deadline - now() > MARGIN_MS;
  const result = await sweep(target, {
    client: deps.client,
    logger: deps.logger,
    sleep: deps.sleep,
    hasTime: () => deps.remainingMs() > MARGIN_MS && beforeDeadline(),
  });
  if (result.remaining && !beforeDeadline()) {
    throw new Error(
      "keygate's teardown reached its time limit (CloudFormation gives a custom resource at most 1 hour) with API keys " +
        'or usage plans left; run `npx cdk destroy` again: it continues where this one stopped',
    );
  }
  return { IsComplete: !result.remaining };
}
