import { jsonLogger } from '../core/support/logger';
import { eventReader } from '../runtime/dynamodb';
import { corsOriginsFromEnv, withCors } from '../runtime/cors';
import { createEventsHandler } from './handler';

const logger = jsonLogger({ function: 'events' });

/** The Lambda entry for `GET /v1/events` and `GET /v1/panel/events`. */
export const handler = withCors(createEventsHandler({ events: eventReader, logger }), corsOriginsFromEnv());
