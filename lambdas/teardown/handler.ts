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
  };
}

/** Dependencies of the teardown handlers. */
export interface TeardownDeps {
  readonly client: APIGatewayClient;
  readonly logger: Logger;
  /** How long the current invocation may still run, in ms (the Lambda context's). */
  readonly remainingMs: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The margin kept before the Lambda's deadline: one deletion with its backoff fits in it. */
const MARGIN_MS = 60_000;

/** The one physical id: there is nothing to replace on update. */
export const PHYSICAL_ID = 'keygate-teardown';

/** Create and Update do nothing; Delete is done by {@link isComplete}, in as many calls as it takes. */
export async function onEvent(event: TeardownEvent): Promise<{ PhysicalResourceId: string }> {
  return { PhysicalResourceId: event.PhysicalResourceId ?? PHYSICAL_ID };
}

/**
 * On Delete, sweeps the stack's run-time API keys and enterprise usage plans until none is left;
 * the Provider framework calls again while `IsComplete` is false. Anything else is complete at once.
 */
export async function isComplete(event: TeardownEvent, deps: TeardownDeps): Promise<{ IsComplete: boolean }> {
  if (event.RequestType !== 'Delete') return { IsComplete: true };
  const props = event.ResourceProperties;
  const target: SweepTarget = {
    restApiId: props.RestApiId,
    namePrefix: props.NamePrefix,
    sharedPlanIds: props.SharedPlanIds ?? [],
  };
  const result = await sweep(target, {
    client: deps.client,
    logger: deps.logger,
    sleep: deps.sleep,
    hasTime: () => deps.remainingMs() > MARGIN_MS,
  });
  return { IsComplete: !result.remaining };
}
