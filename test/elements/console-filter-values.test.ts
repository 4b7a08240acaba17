import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_TYPES } from '../../lambdas/core/events/model';
import { PLAN_STATUSES, TENANT_STATUSES } from '../../lambdas/core/model';

/**
 * The console's filter selects offer exactly the values the API takes: the console ships without
 * the domain's code, so it lists them itself. Read as text, since the console's module is typed
 * for the browser, not for node.
 */
const source = readFileSync(join(__dirname, '..', '..', 'elements', 'console', 'api.ts'), 'utf8');

function listed(name: string): string[] {
  const body = new RegExp(`export const ${name} = \\[([^\\]]*)\\] as const`).exec(source)?.[1];
  if (body === undefined) throw new Error(`elements/console/api.ts has no ${name}`);
  return [...body.matchAll(/'([^']+)'/g)].map((match) => match[1]).sort();
}

describe("the console's filter values", () => {
  it('are the event types, tenant statuses and plan statuses the API filters by', () => {
    expect(listed('EVENT_TYPES')).toEqual([...EVENT_TYPES].sort());
    expect(listed('TENANT_STATUSES')).toEqual([...TENANT_STATUSES].sort());
    expect(listed('PLAN_STATUSES')).toEqual([...PLAN_STATUSES].sort());
  });
});
