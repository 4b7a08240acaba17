import { APIGatewayClient, type GetApiKeysCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { importApiGatewayKeysCommand } from '../../bin/import-apigateway-keys';
import type { ImportOutput } from '../../bin/import-keys';
import { mintKey, type Environment } from '../../lambdas/core/keys/format';
import type { LocalKeygate } from '../../local/app';
import { FakeApiGateway } from '../../local/fake-api-gateway';
import { DEADLINES } from '../support/deadlines';
import { LeakScan, leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

/**
 * `keygate-admin import-apigateway-keys` against the local gateway: API Gateway's own keys, held
 * by the API Gateway fake and read through a real `APIGatewayClient` (aws-sdk-client-mock hands
 * its commands to the fake), go to the tenants their usage plan, tag or name maps them to, and
 * answer 200 through the gateway with the value they had.
 */

const apiGatewayMock = mockClient(APIGatewayClient);
const now = Date.parse(instant(0, '12:00'));
let keygate: LocalKeygate;
let operator: string;
let source: FakeApiGateway;
/** Every value the source holds, each a secret the command must never print. */
const values: string[] = [];
const scan = new LeakScan();

/** Collects what the command prints; every line goes through the leak scans too. */
function output(): ImportOutput & { text: () => string } {
  const lines: string[] = [];
  const keep = (where: string) => (line: string) => {
    lines.push(line);
    leakScan.log(where, line);
    scan.log(where, line);
  };
  return { text: () => lines.join(''), stdout: keep('command stdout'), stderr: keep('command stderr') };
}

/** An API key in the source, in keygate's format unless `value` is given as `null` (API Gateway mints one). */
async function sourceKey(
  name: string,
  options: { environment?: Environment; enabled?: boolean; tags?: Record<string, string>; value?: null } = {},
): Promise<{ id: string; value: string }> {
  const value = options.value === null ? undefined : mintKey('sk', options.environment ?? 'live').plaintext;
  const created = await source.createApiKey({ name, value, enabled: options.enabled ?? true, tags: options.tags });
  const stored = (await source.getApiKeys({ includeValues: true, nameQuery: name })).items?.find(
    (key) => key.id === created.id,
  )?.value as string;
  values.push(stored);
  leakScan.secret(stored);
  scan.secret(stored);
  return { id: created.id as string, value: stored };
}

const me = (key: string) => call(keygate.url, 'GET', '/v1/me', { key });
const keysOf = async (tenantId: string): Promise<number> =>
  (await call(keygate.url, 'GET', `/v1/panel/tenants/${tenantId}/keys?limit=100`, { key: operator })).body.items.length;

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: () => new Date(now) });
  operator = keygate.operatorKey as string;
  scan.secret(operator);
  for (const tenantId of ['gw-acme', 'gw-globex', 'gw-initech']) {
    const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
      key: operator,
      body: { tenantId, name: tenantId, plan: 'scale' },
    });
    expect(created.status).toBe(201);
  }
  source = new FakeApiGateway({ now: () => now - 3_600_000 });
  for (const [command, operation] of source.operations) {
    apiGatewayMock.on(command as typeof GetApiKeysCommand).callsFake((input) => operation(input as never));
  }
});
afterAll(async () => {
  apiGatewayMock.restore();
  await keygate.stop();
});

describe('keygate-admin import-apigateway-keys', () => {
  jest.setTimeout(DEADLINES.importTest);

  it('moves keys to the tenants of their usage plan, tag or name; skips and reports the rest; runs again importing nothing twice', async () => {
    const stage = { apiId: 'legacy1', stage: 'prod' };
    const gold = (await source.createUsagePlan({ name: 'legacy-gold', apiStages: [stage] })).id as string;
    const silver = (await source.createUsagePlan({ name: 'legacy-silver', apiStages: [{ ...stage, stage: 'beta' }] }))
      .id as string;
    const inPlan = async (planId: string, key: { id: string }) =>
      source.createUsagePlanKey({ usagePlanId: planId, keyId: key.id, keyType: 'API_KEY' });
    // two batches for one tenant, a test key among them.
    const golden = [];
    for (let i = 0; i < 100; i += 1) golden.push(await sourceKey(`gold-${i}`));
    golden.push(await sourceKey('gold-test', { environment: 'test' }));
    for (const key of golden) await inPlan(gold, key);
    // the usage plan wins over the tag, the tag over the name.
    const planOverTag = await sourceKey('initech-tagged', { tags: { customer: 'gw-globex' } });
    await inPlan(gold, planOverTag);
    const tagged = await sourceKey('globex-1', { tags: { customer: 'gw-globex' } });
    const tagOverName = await sourceKey('initech-2', { tags: { customer: 'gw-globex' } });
    const named = await sourceKey('initech-1');
    // what stays behind.
    const disabled = await sourceKey('gold-disabled', { enabled: false });
    await inPlan(gold, disabled);
    const stray = await sourceKey('stray');
    const ambiguous = await sourceKey('both-plans');
    await inPlan(gold, ambiguous);
    await inPlan(silver, ambiguous);
    const nobody = await sourceKey('nobody-1', { tags: { customer: 'gw-nobody' } });
    const minted = await sourceKey('apigw-minted', { value: null, tags: { customer: 'gw-globex' } });
    const args = [
      '--url',
      keygate.url,
      '--usage-plan',
      'legacy-gold=gw-acme',
      '--usage-plan',
      `${silver}=gw-initech`,
      '--tag',
      'customer',
      '--name',
      'initech-=gw-initech',
    ];
    const env = { KEYGATE_OPERATOR_KEY: operator };
    const client = new APIGatewayClient({
      region: 'eu-west-1',
      credentials: { accessKeyId: 'e2e', secretAccessKey: 'e2e' },
    });

    const dry = output();
    const planned = await importApiGatewayKeysCommand([...args, '--dry-run'], dry, {}, client);
    expect(planned).toEqual({ imported: 107, duplicate: 0, invalid: 0, disabled: 1, unmapped: 2, noSuchTenant: 0 });
    expect(dry.text()).toMatch(/^dry run: would send 107, duplicate 0, invalid 0; skipped: disabled 1, no tenant 2/m);
    expect(dry.text()).toContain('gw-acme: would send 100\n');
    expect([await keysOf('gw-acme'), await keysOf('gw-globex'), await keysOf('gw-initech')]).toEqual([1, 1, 1]);
    expect((await me(golden[0]?.value as string)).status).toBe(401);

    const first = output();
    const summary = await importApiGatewayKeysCommand(args, first, env, client);
    expect(summary).toEqual({ imported: 105, duplicate: 0, invalid: 1, disabled: 1, unmapped: 2, noSuchTenant: 1 });
    expect(first.text()).toContain(`API key ${minted.id} (apigw-minted) → gw-globex: invalid: key: not a key of`);
    expect(first.text()).toContain(`API key ${disabled.id} (gold-disabled): disabled in API Gateway`);
    expect(first.text()).toContain(`API key ${stray.id} (stray): maps to no tenant`);
    expect(first.text()).toContain(
      `API key ${ambiguous.id} (both-plans): its usage plans map to tenants gw-acme, gw-initech`,
    );
    expect(first.text()).toContain('tenant gw-nobody: keygate has no such tenant');
    for (const key of golden) expect((await me(key.value)).status).toBe(200);
    const tenantOf = async (key: { value: string }) => (await me(key.value)).body.tenant.tenantId as string;
    expect(await tenantOf(planOverTag)).toBe('gw-acme');
    expect(await tenantOf(tagged)).toBe('gw-globex');
    expect(await tenantOf(tagOverName)).toBe('gw-globex');
    expect(await tenantOf(named)).toBe('gw-initech');
    expect((await me(golden.at(-1)?.value as string)).body.key).toMatchObject({
      name: 'gold-test',
      environment: 'test',
    });
    for (const key of [disabled, stray, ambiguous, nobody]) expect((await me(key.value)).status).toBe(401);

    const second = output();
    const again = await importApiGatewayKeysCommand(args, second, env, client);
    expect(again).toEqual({ imported: 0, duplicate: 105, invalid: 1, disabled: 1, unmapped: 2, noSuchTenant: 1 });
    expect(await keysOf('gw-globex')).toBe(3);
    expect(await keysOf('gw-initech')).toBe(2);

    for (const text of [dry.text(), first.text(), second.text()])
      expect(values.filter((value) => text.includes(value))).toEqual([]);
    expect(scan.findLeaks()).toEqual([]);
  });
});
