import {
  EVENT_TYPES as CONSOLE_EVENT_TYPES,
  PLAN_STATUSES as CONSOLE_PLAN_STATUSES,
  TENANT_STATUSES as CONSOLE_TENANT_STATUSES,
} from '../../elements/console/api';
import { EVENT_TYPES } from '../../lambdas/core/events/model';
import { PLAN_STATUSES, TENANT_STATUSES } from '../../lambdas/core/model';

/**
 * The console's filter selects offer exactly the values the API takes: the console ships without
 * the domain's code, so it lists them itself.
 */
describe("the console's filter values", () => {
  it('are the event types, tenant statuses and plan statuses the API filters by', () => {
    expect([...CONSOLE_EVENT_TYPES].sort()).toEqual([...EVENT_TYPES].sort());
    expect([...CONSOLE_TENANT_STATUSES].sort()).toEqual([...TENANT_STATUSES].sort());
    expect([...CONSOLE_PLAN_STATUSES].sort()).toEqual([...PLAN_STATUSES].sort());
  });
});
