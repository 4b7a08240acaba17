import type { KeyFormat } from '../keys/format';
import type { AuthorizerCacheFlusher } from '../auth/cache';
import type { ReconcileRequests } from '../plans/plan-reconciler';
import type { PlanCatalog, UsagePlanApi } from '../plans/usage-plans';
import type { KeyStore } from '../store/store';
import type { Clock } from '../support/clock';
import type { Logger } from '../support/logger';

/** What tenants and plans need. */
export interface TenantServiceDeps {
  readonly store: KeyStore;
  readonly usagePlans: UsagePlanApi;
  /** The shared plans, or how to find them (the Lambdas look them up by name on first use). */
  readonly plans: PlanCatalog | (() => Promise<PlanCatalog>);
  readonly prefix: string;
  /** How new keys are spelled. @default - the default format under `prefix` */
  readonly keyFormat?: KeyFormat;
  readonly clock: Clock;
  readonly cache: AuthorizerCacheFlusher;
  readonly logger: Logger;
  /** Names usage plans and API keys, so several deployments can share an account. */
  readonly namePrefix: string;
  /** Where plan changes go to be applied to API Gateway. */
  readonly reconcile: ReconcileRequests;
  /** Waits between tries of a tenant write that lost a race. @default - a real timer */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** The shared plans, looked up on first use where the deps give a lookup. */
export async function planCatalog(deps: Pick<TenantServiceDeps, 'plans'>): Promise<PlanCatalog> {
  return typeof deps.plans === 'function' ? deps.plans() : deps.plans;
}
