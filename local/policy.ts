/**
 * Evaluates a TOKEN authorizer's policy document against a method ARN, as API Gateway does
 * before it lets a request through (serverless-offline's `authMatchPolicyResource.ts` and
 * `authCanExecuteResource.ts`, made stricter: patterns are anchored, everything but the
 * wildcards is literal, `Effect` is case-sensitive as IAM defines it, and anything this
 * evaluator cannot understand refuses the request instead of being skipped).
 */

import { wildcardMatch } from '../lambdas/core/auth/wildcard';

/** The one action API Gateway checks an authorizer's policy for. */
const INVOKE_ACTION = 'execute-api:invoke';

/** A statement reduced to what the evaluation needs. */
interface Statement {
  readonly effect: 'Allow' | 'Deny';
  readonly actions: readonly string[];
  readonly resources: readonly string[];
}

/** Statement elements this evaluator does not implement; a policy using them is refused. */
const UNSUPPORTED_ELEMENTS = ['NotAction', 'NotResource', 'Condition', 'Principal', 'NotPrincipal'] as const;

/**
 * IAM-style wildcard matching of a whole string: `*` matches any run of characters, `/` and
 * the empty run included, `?` matches exactly one character, and every other character
 * matches only itself, case-sensitively.
 *
 * @param pattern - a policy `Resource`, e.g. `arn:aws:execute-api:*:*:keygate/prod/*\/*`.
 * @param methodArn - the ARN of the method being called.
 */
export function resourceMatches(pattern: string, methodArn: string): boolean {
  return wildcardMatch(pattern, methodArn);
}

/**
 * Whether a policy document lets the caller invoke the method ARN: an explicit `Deny` that
 * matches wins over everything; otherwise at least one matching `Allow` is needed. Fails closed:
 * a malformed document (no `Statement`, wrong types, an `Effect` other than exactly `Allow` or
 * `Deny`) or one using elements this evaluator does not implement (`NotAction`, `NotResource`,
 * `Condition`, ...) allows nothing.
 *
 * @param policy - the authorizer's `policyDocument`, as untrusted input.
 * @param methodArn - e.g. `arn:aws:execute-api:local:000000000000:keygate/prod/GET/v1/me`.
 */
export function isAllowed(policy: unknown, methodArn: string, options: PolicyOptions = {}): boolean {
  const statements = parseStatements(policy);
  if (statements === undefined) return false;
  const folded = methodArn.toLowerCase();
  const applies = (statement: Statement): boolean =>
    // iam action names are case-insensitive, resources are not.
    statement.actions.some((action) => wildcardMatch(action.toLowerCase(), INVOKE_ACTION)) &&
    statement.resources.some((resource) =>
      statement.effect === 'Deny' && options.foldDenyCase === true
        ? wildcardMatch(resource.toLowerCase(), folded)
        : wildcardMatch(resource, methodArn),
    );
  const matching = statements.filter(applies);
  if (matching.some((statement) => statement.effect === 'Deny')) return false;
  return matching.some((statement) => statement.effect === 'Allow');
}

/** How {@link isAllowed} reads a policy beyond what IAM defines. */
export interface PolicyOptions {
  /**
   * Match `Deny` resources without regard to letter case (an `Allow` still matches exactly).
   * Paths are case-sensitive, but a backend may not be: with this, `/V1/Panel/x` cannot dodge a
   * Deny on `/v1/panel/*`. It only ever refuses more. @default false
   */
  readonly foldDenyCase?: boolean;
}

/** The statements of a policy document, or `undefined` when any part of it is malformed. */
function parseStatements(policy: unknown): Statement[] | undefined {
  if (!isRecord(policy)) return undefined;
  const raw = policy.Statement;
  // iam allows a single statement object in place of an array.
  const list: unknown[] | undefined = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : undefined;
  if (list === undefined) return undefined;
  const statements: Statement[] = [];
  for (const item of list) {
    const statement = parseStatement(item);
    // one statement we cannot read could be a deny we would otherwise miss: refuse them all.
    if (statement === undefined) return undefined;
    statements.push(statement);
  }
  return statements;
}

function parseStatement(raw: unknown): Statement | undefined {
  if (!isRecord(raw)) return undefined;
  if (UNSUPPORTED_ELEMENTS.some((element) => element in raw)) return undefined;
  // iam defines the effect values as case-sensitive: `allow` is not `Allow`.
  const effect = raw.Effect;
  if (effect !== 'Allow' && effect !== 'Deny') return undefined;
  const actions = stringList(raw.Action);
  const resources = stringList(raw.Resource);
  if (actions === undefined || resources === undefined) return undefined;
  return { effect, actions, resources };
}

/** A string or an array of strings as an array; `undefined` for anything else. */
function stringList(value: unknown): string[] | undefined {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string')) return value;
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
