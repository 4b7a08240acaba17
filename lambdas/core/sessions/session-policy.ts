import { KEY_MUTATIONS, PANEL_ROUTES, stageArn, type PolicyDocument, type PolicyStatement } from '../auth/policy';
import type { Role } from '../keys/format';

/**
 * The routes a session is allowed, as `METHOD/path` after `<apiId>/<stage>/`: keygate's tenant
 * routes and sign-out, each spelled out, never `*` on its own, so that neither the front door
 * (`ANY /{proxy+}`) nor a route of your own is ever allowed. In an execute-api ARN a `*` also
 * matches `/`, so a key id's `*` could stand for `a/b` and reach the front door under
 * `/v1/keys/a/b`: {@link SESSION_DENIES} refuses every such deeper path.
 */
export const SESSION_ALLOWS: readonly string[] = [
  'GET/v1/keys',
  'POST/v1/keys',
  'GET/v1/keys/*',
  'PATCH/v1/keys/*',
  'DELETE/v1/keys/*',
  'POST/v1/keys/*/revoke',
  'POST/v1/keys/*/enable',
  'POST/v1/keys/*/rotate',
  'GET/v1/usage',
  'GET/v1/events',
  'DELETE/v1/session',
];

/** Paths under `/v1/keys` deeper than any of keygate's: the front door's, never a session's. */
export const SESSION_DENIES: readonly string[] = [
  'GET/v1/keys/*/*',
  'PATCH/v1/keys/*/*',
  'DELETE/v1/keys/*/*',
  'POST/v1/keys/*/*/*',
];

/**
 * What an operator session is allowed on top: the panel, by method (the panel is keygate's tree).
 * A path under it that no resource holds goes to the front door's `ANY /{proxy+}`, whose
 * authorizer takes keys only (`KeyAuthorizer.keysOnlyAuthorizerFor`): this Allow, cached by the
 * authorizer of keygate's routes, is never consulted there.
 */
export const OPERATOR_SESSION_ALLOWS: readonly string[] = [
  'GET/v1/panel/*',
  'POST/v1/panel/*',
  'PUT/v1/panel/*',
  'PATCH/v1/panel/*',
  'DELETE/v1/panel/*',
];

/**
 * The policy of an authorized session: Allow on {@link SESSION_ALLOWS} only (and the panel for a
 * live `operator` session), Deny on deeper paths, on key changes for `read_only`, and on the panel
 * for every other session. One policy per stage and role, like a key's, so a cached answer serves
 * every route it may call.
 */
export function sessionPolicy(methodArn: string, role: Role, environment: string): PolicyDocument {
  const base = stageArn(methodArn);
  const operator = role === 'operator' && environment === 'live';
  const allowed = operator ? [...SESSION_ALLOWS, ...OPERATOR_SESSION_ALLOWS] : SESSION_ALLOWS;
  const denied = [...SESSION_DENIES, ...(role === 'read_only' ? KEY_MUTATIONS : []), ...(operator ? [] : PANEL_ROUTES)];
  const statement = (Effect: 'Allow' | 'Deny', routes: readonly string[]): PolicyStatement => ({
    Action: 'execute-api:Invoke',
    Effect,
    Resource: routes.map((route) => `${base}/${route}`),
  });
  return { Version: '2012-10-17', Statement: [statement('Allow', allowed), statement('Deny', denied)] };
}
