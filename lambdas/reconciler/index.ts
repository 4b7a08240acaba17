import { jsonLogger } from '../core/support/logger';
import { planReconciler } from '../runtime/services';
import { createReconcilerHandler } from './handler';

const logger = jsonLogger({ function: 'reconciler' });

/** The Lambda entry for the plan reconcile queue. */
export const handler = createReconcilerHandler(planReconciler(logger), logger);
