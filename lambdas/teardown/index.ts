import type { Context } from 'aws-lambda';
import { jsonLogger } from '../core/support/logger';
import { apiGatewayClient } from '../runtime/api-gateway';
import { isComplete as sweepUntilDone, onEvent as accept, type TeardownEvent } from './handler';

const logger = jsonLogger({ function: 'teardown' });

/** The Provider framework's onEvent entry. */
export const onEvent = (event: TeardownEvent): ReturnType<typeof accept> => accept(event);

/** The Provider framework's isComplete entry. */
export const isComplete = (event: TeardownEvent, context: Context): Promise<{ IsComplete: boolean }> =>
  sweepUntilDone(event, { client: apiGatewayClient, logger, remainingMs: () => context.getRemainingTimeInMillis() });
