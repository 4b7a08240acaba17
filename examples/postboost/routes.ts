import * as path from 'node:path';
import type { KeygateRoute } from '../../lambdas/core/auth/route-policy';
import type { LocalRoute } from '../../local/app';
import { handler } from './index';

/**
 * PostBoost's admin paths, for `stack.addRoute` and `startKeygateLocal({ routes })` alike: only
 * owners and admins may call `/panel/*`. With `keygate:workspacePathSegment` set to 1, its first
 * segment is literal, so the route is also what lets keys reach `/panel/*` at all
 * (docs/workspaces.md).
 */
export const POSTBOOST_ROUTES: readonly KeygateRoute[] = [
  { method: 'GET', path: '/panel/{page}', entry: path.join(__dirname, 'index.ts'), roles: ['owner', 'admin'] },
];

/** The same routes with their handler in process, for the local gateway. */
export const POSTBOOST_LOCAL_ROUTES: readonly LocalRoute[] = POSTBOOST_ROUTES.map((route) => ({
  route,
  handler: () => handler,
}));

/** What `KEYGATE_LOCAL_ROUTES=examples/postboost/routes.ts npm start` serves. */
export const localRoutes = POSTBOOST_LOCAL_ROUTES;
