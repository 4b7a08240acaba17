/**
 * The README's curl tour, through the typed client. Against `npm start`:
 *
 *   KEYGATE_OPERATOR_KEY=sk_live_… npx tsx examples/client/tour.ts
 *
 * It makes a tenant, walks a key through its lifecycle, reads usage, suspends and resumes the
 * tenant, and deletes it again, printing one line per step. It never prints a plaintext key:
 * a real integration would put it in a secret store the moment it is created.
 */
import { Keygate, KeygateError } from 'keygate/client';

/** Where the tour runs, and where its lines go. */
export interface TourOptions {
  readonly baseUrl: string;
  /** A live `operator` key, as `npm start` prints it. */
  readonly operatorKey: string;
  /** @default console.log */
  readonly log?: (line: string) => void;
}

/** Runs the tour; resolves with the tenant id it made (and deleted). */
export async function tour({ baseUrl, operatorKey, log = console.log }: TourOptions): Promise<string> {
  const operator = new Keygate({ apiKey: operatorKey, baseUrl });

  // the operator makes a tenant on the starter plan; its first owner key comes back once.
  const { tenant, key: ownerKey } = await operator.panel.tenants.create({ name: 'Tour Inc', plan: 'starter' });
  log(`tenant ${tenant.tenantId} on ${tenant.plan} (${tenant.limits.rateLimit} rps), owner key …${ownerKey.last4}`);

  // the tenant manages its own keys with its owner key.
  const acme = new Keygate({ apiKey: ownerKey.key, baseUrl });
  const ci = await acme.keys.create({ name: 'ci', expiresInDays: 30 });
  log(`created ${ci.id} "${ci.name}" …${ci.last4}, expires ${ci.expiresAt}`);
  await acme.keys.rename(ci.id, 'ci-deploy');
  for await (const key of acme.keys.listAll({ limit: 10 })) log(`  ${key.id} ${key.name} ${key.role} ${key.status}`);

  const worker = new Keygate({ apiKey: ci.key, baseUrl, maxRetries: 0 });
  await acme.keys.revoke(ci.id);
  try {
    await worker.me.get();
  } catch (error) {
    // revocation takes effect on the very next request.
    if (!(error instanceof KeygateError) || error.status !== 401) throw error;
    log(`revoked ${ci.id}: its next request got ${error.status} ${error.code}`);
  }
  await acme.keys.enable(ci.id);
  const rotated = await acme.keys.rotate(ci.id, { gracePeriodHours: 24 });
  log(`rotated ${ci.id} → ${rotated.id}; the old key works 24 h more`);

  const usage = await acme.usage.get();
  log(
    `usage: ${usage.plan}, ${usage.rateLimit} rps, burst ${usage.burstLimit}, quota ${usage.quota === null ? 'none' : usage.quota.limit}`,
  );

  await operator.panel.tenants.suspend(tenant.tenantId);
  const refused = await acme.me.get({ maxRetries: 0 }).catch((error: unknown) => error);
  log(`suspended: the owner key gets ${refused instanceof KeygateError ? refused.status : 'an answer'}`);
  await operator.panel.tenants.resume(tenant.tenantId);
  await operator.panel.tenants.delete(tenant.tenantId);
  log(`deleted ${tenant.tenantId}`);
  return tenant.tenantId;
}

if (require.main === module) {
  const operatorKey = process.env.KEYGATE_OPERATOR_KEY;
  if (operatorKey === undefined || operatorKey === '') {
    console.error('set KEYGATE_OPERATOR_KEY to the operator key `npm start` printed');
    process.exit(2);
  }
  tour({ baseUrl: process.env.KEYGATE_URL ?? 'http://localhost:3000', operatorKey }).catch((error: unknown) => {
    console.error(error instanceof KeygateError ? `${error.status} ${error.code}: ${error.message}` : error);
    process.exit(1);
  });
}
