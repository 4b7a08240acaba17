import { keygateHandler } from '../../lambdas/runtime/route-context';

/**
 * PostBoost's admin panel stand-in (`GET /panel/{page}`): the authorizer's policy already kept
 * every role but owners and admins out; it answers who came in.
 */
export const handler = keygateHandler(async (event, caller) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ panel: event.path, role: caller.role }),
}));
