import type * as Client from 'keygate/client';
import type { EventType, KeygateEvent } from '../../lambdas/core/events/model';
import type { EventPage } from '../../lambdas/core/events/store';
import type { ExpiryDays } from '../../lambdas/core/keys/expiry';
import type { Environment, Role } from '../../lambdas/core/keys/format';
import type { ImportKeyInput, ImportResult } from '../../lambdas/core/keys/key-import';
import type { CreateKeyInput, KeyWithSecret } from '../../lambdas/core/keys/key-service';
import type { KeyRecord, PlanName, TenantRecord } from '../../lambdas/core/model';
import type { CreatedTenant, PlanRequest, UsageReport } from '../../lambdas/core/tenants/tenant-service';
import type { KeyUsageAnswer, TenantRanking, UsageAnswer } from '../../lambdas/core/usage/usage-query';

/**
 * `true` when each type is assignable to the other. The client's types are aliases of those
 * generated from openapi.json (whose own test holds it to the handlers' schemas); these hold
 * them to the domain's TypeScript types too, the ones the handlers answer with.
 */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

// a compile-time check (`npm run build` runs tsc): a field added, removed or retyped on either
// side turns one of these `true`s into an error.
const agreements: Record<string, true> = {
  environment: true satisfies Same<Client.Environment, Environment>,
  role: true satisfies Same<Client.Role, Role>,
  expiryDays: true satisfies Same<NonNullable<Client.CreateKeyInput['expiresInDays']>, ExpiryDays>,
  keyRecord: true satisfies Same<Client.KeyRecord, KeyRecord>,
  createdKey: true satisfies Same<Client.CreatedKey, KeyWithSecret>,
  createKeyInput: true satisfies Same<Client.CreateKeyInput, CreateKeyInput>,
  importKeys: true satisfies Same<Client.ImportKeysInput['keys'][number], ImportKeyInput>,
  importResults: true satisfies Same<Client.ImportResults['results'][number], ImportResult>,
  plan: true satisfies Same<Client.PlanName, PlanName>,
  tenantRecord: true satisfies Same<Client.TenantRecord, TenantRecord>,
  createdTenant: true satisfies Same<Client.CreatedTenant, CreatedTenant>,
  changePlan: true satisfies Same<Client.ChangePlanInput, PlanRequest>,
  usage: true satisfies Same<Omit<Client.Usage, 'environment'>, UsageReport & UsageAnswer>,
  usageWindow: true satisfies Same<Client.UsageWindow, UsageAnswer>,
  keyUsage: true satisfies Same<Client.KeyUsage, KeyUsageAnswer>,
  tenantRanking: true satisfies Same<Client.TenantRanking, TenantRanking>,
  eventType: true satisfies Same<Client.EventType, EventType>,
  event: true satisfies Same<Client.KeygateEvent, KeygateEvent>,
  eventPage: true satisfies Same<Client.Page<Client.KeygateEvent>, EventPage>,
};

describe("the client's types", () => {
  it("agree with the server's (checked by the compiler; listed here so a run shows it)", () => {
    expect(Object.values(agreements).every(Boolean)).toBe(true);
  });
});
