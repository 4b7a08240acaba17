import * as path from 'node:path';
import type { KeygateRoute } from '../../lambdas/core/auth/route-policy';
import type { LocalRoute } from '../../local/app';
import { createReturnOrdersHandler } from './handler';

const entry = path.join(__dirname, 'index.ts');

/**
 * The return-orders routes, for `stack.addRoute` and `startKeygateLocal({ routes })` alike:
 * every role may read, `read_only` keys may not create, only owners and admins may delete.
 */
export const RETURN_ORDER_ROUTES: readonly KeygateRoute[] = [
  {
    method: 'POST',
    path: '/v1/returns',
    entry,
    tableAccess: 'readWrite',
    roles: ['owner', 'admin', 'developer', 'operator'],
  },
  { method: 'GET', path: '/v1/returns/{id}', entry, tableAccess: 'readWrite' },
  { method: 'DELETE', path: '/v1/returns/{id}', entry, tableAccess: 'readWrite', roles: ['owner', 'admin'] },
];

/** The same routes with their handler built in process, for the local gateway. */
export const RETURN_ORDER_LOCAL_ROUTES: readonly LocalRoute[] = RETURN_ORDER_ROUTES.map((route) => ({
  route,
  handler: ({ client, tableName, clock, logger }) => createReturnOrdersHandler({ client, tableName, clock, logger }),
}));

/** What `KEYGATE_LOCAL_ROUTES=examples/return-orders/routes.ts npm start` serves. */
export const localRoutes = RETURN_ORDER_LOCAL_ROUTES;
