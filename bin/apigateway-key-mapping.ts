import type { ApiKey } from '@aws-sdk/client-api-gateway';

/**
 * How API Gateway's own API keys are given to keygate tenants, from the flags of
 * `import-apigateway-keys`, first rule that names a tenant wins:
 * 1. the usage plans the key is in (`--usage-plan <id or name>=<tenant>`);
 * 2. the value of one of its tags (`--tag <tag key>`);
 * 3. the start of its name (`--name <prefix>=<tenant>`, the longest prefix that fits).
 */
export interface KeyMapping {
  /** Usage plan id to tenant, names resolved to ids already. */
  readonly usagePlans: ReadonlyMap<string, string>;
  /** The tag whose value names the key's tenant. */
  readonly tag?: string;
  /** Name prefix to tenant. */
  readonly names: ReadonlyMap<string, string>;
}

/** Where a key goes: a tenant, or why it stays behind (reported, never imported). */
export type Destination =
  | { readonly tenant: string; readonly by: 'usage plan' | 'tag' | 'name' }
  | { readonly skipped: 'disabled' | 'no tenant' | 'ambiguous'; readonly reason: string };

/**
 * Decides where one API Gateway key goes. A disabled key stays behind: it answers nothing in API
 * Gateway today, an import would store it active (the route takes no status), and reviving it is
 * a decision for a person. A key in mapped usage plans of different tenants is ambiguous and
 * stays behind too, rather than being given to either.
 *
 * @param plansOf - the ids of the mapped usage plans the key is in.
 */
export function destinationOf(key: ApiKey, plansOf: readonly string[], mapping: KeyMapping): Destination {
  if (key.enabled !== true)
    return { skipped: 'disabled', reason: 'disabled in API Gateway; enable it there first to bring it' };
  const byPlan = [...new Set(plansOf.map((plan) => mapping.usagePlans.get(plan)).filter(isDefined))];
  if (byPlan.length > 1)
    return { skipped: 'ambiguous', reason: `its usage plans map to tenants ${byPlan.sort().join(', ')}` };
  if (byPlan[0] !== undefined) return { tenant: byPlan[0], by: 'usage plan' };
  const tagged = mapping.tag === undefined ? undefined : key.tags?.[mapping.tag];
  if (tagged !== undefined && tagged !== '') return { tenant: tagged, by: 'tag' };
  const name = key.name ?? '';
  const prefix = [...mapping.names.keys()]
    .filter((candidate) => name.startsWith(candidate))
    .sort((a, b) => b.length - a.length)[0];
  if (prefix !== undefined) return { tenant: mapping.names.get(prefix) as string, by: 'name' };
  return { skipped: 'no tenant', reason: 'maps to no tenant (no mapped usage plan, tag or name)' };
}

/**
 * `<left>=<right>` pairs of a repeated flag, as a map.
 *
 * @throws Error naming the flag and the value that is not such a pair.
 */
export function pairsOf(flag: string, values: readonly string[]): Map<string, string> {
  const pairs = new Map<string, string>();
  for (const value of values) {
    const at = value.lastIndexOf('=');
    if (at <= 0 || at === value.length - 1)
      throw new Error(`--${flag} takes <${flag === 'name' ? 'prefix' : 'id or name'}>=<tenant>, received ${value}`);
    pairs.set(value.slice(0, at), value.slice(at + 1));
  }
  return pairs;
}

function isDefined<T>(value: T | undefined): value is T {
  return value !== undefined;
}
