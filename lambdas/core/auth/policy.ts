import type { Environment, Role } from '../keys/format';
import { routeDenials, type RouteRoles } from './route-policy';

/** An IAM policy statement as API Gateway's authorizer contract has it. */
export interface PolicyStatement {
  readonly Action: 'execute-api:Invoke';
  readonly Effect: 'Allow' | 'Deny';
  readonly Resource: string[];
}

/** An IAM policy document returned by a TOKEN authorizer. */
export interface PolicyDocument {
  readonly Version: '2012-10-17';
  readonly Statement: PolicyStatement[];
}

/** Routes that change keys; `read_only` keys are denied them in the policy itself. */
export const KEY_MUTATIONS: readonly string[] = ['POST/v1/keys', 'POST/v1/keys/*', 'PATCH/v1/keys/*', 'DELETE/v1/keys/*'];
/** The operator panel; only live `operator` keys are allowed there. */
export const PANEL_ROUTES: readonly string[] = ['*/v1/panel', '*/v1/panel/*'];

/**
 * The `arn:...:<apiId>/<stage>` part of a method ARN
 * (`arn:aws:execute-api:<region>:<account>:<apiId>/<stage>/<method>/<path>`).
 *
 * @throws Error when the ARN does not have that shape.
 */
export function stageArn(methodArn: string): string {
  const parts = methodArn.split('/');
  if (parts.length < 3 || !parts[0].startsWith('arn:') || parts[0].split(':').length !== 6) {
    throw new Error('methodArn is not an execute-api method ARN');
  }
  return `${parts[0]}/${parts[1]}`;
}

/**
 * The policy for an authorized key: Allow on the whole API (`<stage>/*\/*`, so that one cached
 * policy serves every route), with explicit Deny statements, which beat any Allow, for what the
 * role may not do. The panel acts on live tenants, so only a live `operator` key gets it: a test
 * key must never reach live data, whatever its role. Routes added with roles (`routeRules`) are
 * denied to every other role in the same policy, so one cached policy still serves every route.
 */
export function policyFor(methodArn: string, role: Role, environment: Environment, routeRules: readonly RouteRoles[] = []): PolicyDocument {
  const base = stageArn(methodArn);
  const panelAllowed = role === 'operator' && environment === 'live';
  const denied = [
    ...(role === 'read_only' ? KEY_MUTATIONS : []),
    ...(panelAllowed ? [] : PANEL_ROUTES),
    ...routeDenials(routeRules, role),
  ];
  const Statement: PolicyStatement[] = [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${base}/*/*`] }];
  if (denied.length > 0) {
    Statement.push({ Action: 'execute-api:Invoke', Effect: 'Deny', Resource: denied.map((route) => `${base}/${route}`) });
  }
  return { Version: '2012-10-17', Statement };
}
