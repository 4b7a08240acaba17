import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { BusPublisher } from '../core/events/publish';
import { jsonLogger } from '../core/support/logger';
import { ENV } from '../runtime/env-names';
import { EventBridgeBus } from '../runtime/event-bus';
import { createPublisherHandler } from './handler';

const logger = jsonLogger({ function: 'publisher' });

/** The Lambda entry for the key table's stream: committed outbox events go to EventBridge. */
export const handler = createPublisherHandler(
  new BusPublisher(new EventBridgeBus(new EventBridgeClient({})), logger, process.env[ENV.eventBusName] || undefined),
);
