import { jsonLogger } from '../core/logger';
import { tenantService } from '../runtime/services';
import { createPanelHandler } from './handler';

const logger = jsonLogger({ function: 'panel' });

/** The Lambda entry for the `/v1/panel` routes. */
export const handler = createPanelHandler(tenantService(logger), logger);
