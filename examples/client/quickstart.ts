// KEYGATE_URL=http://localhost:3000 KEYGATE_OPERATOR_KEY=sk_live_… npx tsx examples/client/quickstart.ts
import { Keygate, KeygateError } from 'keygate/client';

async function main(): Promise<void> {
  const baseUrl = process.env.KEYGATE_URL ?? 'http://localhost:3000';
  const operatorKey = process.env.KEYGATE_OPERATOR_KEY;
  if (!operatorKey) throw new Error('set KEYGATE_OPERATOR_KEY to the operator key npm start printed');

  const operator = new Keygate({ apiKey: operatorKey, baseUrl });
  const { tenant, key: owner } = await operator.panel.tenants.create({ name: 'Quickstart Inc', plan: 'starter' });
  const acme = new Keygate({ apiKey: owner.key, baseUrl });
  const ci = await acme.keys.create({ name: 'ci', expiresInDays: 30 }); // ci.key: the plaintext, this once
  for await (const key of acme.keys.listAll()) console.log(key.id, key.name, key.status); // follows cursors
  await acme.keys.rotate(ci.id, { gracePeriodHours: 24 });
  await operator.panel.tenants.changePlan(tenant.tenantId, { plan: 'growth' });
  try {
    await acme.keys.get('key_000000000000000000000000');
  } catch (error) {
    if (!(error instanceof KeygateError)) throw error;
    console.log(error.status, error.code, error.message); // 404 not_found …
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
