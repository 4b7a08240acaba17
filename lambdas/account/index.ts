import { systemClock } from '../core/clock';
import { jsonLogger } from '../core/logger';
import { keyStore } from '../runtime/dynamodb';
import { createAccountHandler } from './handler';

/** The Lambda entry for `GET /v1/me`. */
export const handler = createAccountHandler({ store: keyStore, clock: systemClock, logger: jsonLogger({ function: 'account' }) });
