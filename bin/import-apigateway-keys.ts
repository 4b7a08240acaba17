import {
  APIGatewayClient,
  paginateGetApiKeys,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
  type ApiKey,
} from '@aws-sdk/client-api-gateway';
import { MAX_IMPORT_KEYS } from '../lambdas/core/http/schemas/imports';
import { destinationOf, pairsOf, type KeyMapping } from './apigateway-key-mapping';
import { ImportBatchRefused, sendImportBatch, type ImportApi, type ImportOutput } from './import-keys';

/** The `import-apigateway-keys` lines of `keygate-admin`'s usage. */
export const IMPORT_APIGATEWAY_KEYS_USAGE = `  import-apigateway-keys --url <api url> [--usage-plan <id or name>=<tenant> ...]
                              [--tag <tag key>] [--name <prefix>=<tenant> ...] [--dry-run]
                              moves API Gateway's own API keys (read with their values, with your
                              AWS credentials) into keygate tenants through the import route,
                              with the operator key in KEYGATE_OPERATOR_KEY. a key goes to the
                              tenant of its usage plan, else of its tag's value, else of the
                              longest name prefix given; a key that maps to no tenant, to two,
                              or is disabled is reported and skipped. safe to run again: keys
                              imported before are reported as duplicates. --dry-run sends
                              nothing. never prints a key's value.`;

/** What a run did with API Gateway's keys. */
export interface ApiGatewayImportSummary {
  imported: number;
  duplicate: number;
  invalid: number;
  /** Disabled in API Gateway: left there. */
  disabled: number;
  /** Mapped to no tenant, or to two. */
  unmapped: number;
  /** Mapped to a tenant keygate does not have. */
  noSuchTenant: number;
}

/** A key on its way: API Gateway's id and name (for reports), the import item (value inside). */
interface Pending {
  readonly id: string;
  readonly name: string;
  readonly item: Record<string, unknown>;
}

interface Options {
  readonly api: ImportApi;
  readonly mapping: KeyMapping;
  readonly usagePlanFlags: ReadonlyMap<string, string>;
  readonly dryRun: boolean;
}

/**
 * `keygate-admin import-apigateway-keys`: reads every API key of the account and region with its
 * value (`GetApiKeys` with `includeValues`, page by page), finds each one's tenant
 * ({@link destinationOf}), and sends them, 100 at a time per tenant, to the import route, which
 * hashes each value on arrival and stores it at most once. The value is never printed: reports
 * name API Gateway's key id and name.
 *
 * @param client - API Gateway of the account that holds the keys. @default a client of the AWS
 *   CLI's credentials and region (`--region` overrides)
 */
export async function importApiGatewayKeysCommand(
  args: readonly string[],
  out: ImportOutput = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  env: NodeJS.ProcessEnv = process.env,
  client: APIGatewayClient = new APIGatewayClient({ region: flagValues(args, 'region')[0] }),
): Promise<ApiGatewayImportSummary> {
  const options = parseOptions(args, env);
  const mapping = { ...options.mapping, usagePlans: await resolvePlans(client, options.usagePlanFlags) };
  const plansOf = await mappedPlansOfKeys(client, [...mapping.usagePlans.keys()]);
  const summary: ApiGatewayImportSummary = {
    imported: 0,
    duplicate: 0,
    invalid: 0,
    disabled: 0,
    unmapped: 0,
    noSuchTenant: 0,
  };
  const waiting = new Map<string, Pending[]>();
  const missingTenants = new Set<string>();
  const report = (key: Pending, tenant: string, what: string): void =>
    out.stderr(`API key ${key.id} (${key.name}) → ${tenant}: ${what}\n`);
  const flush = async (tenant: string): Promise<void> => {
    const batch = waiting.get(tenant) ?? [];
    waiting.delete(tenant);
    if (batch.length === 0) return;
    if (options.dryRun) {
      summary.imported += batch.length;
      out.stdout(`${tenant}: would send ${batch.length}\n`);
      return;
    }
    if (missingTenants.has(tenant)) {
      summary.noSuchTenant += batch.length;
      return;
    }
    let results;
    try {
      results = await sendImportBatch(
        options.api,
        tenant,
        batch.map((key) => key.item),
      );
    } catch (error) {
      if (!(error instanceof ImportBatchRefused) || error.status !== 404) throw error;
      missingTenants.add(tenant);
      out.stderr(`tenant ${tenant}: keygate has no such tenant; its keys are skipped\n`);
      summary.noSuchTenant += batch.length;
      return;
    }
    for (const [index, result] of results.entries()) {
      summary[result.status] += 1;
      const key = batch[index] as Pending;
      if (result.status !== 'imported') report(key, tenant, `${result.status}: ${result.error?.message}`);
    }
    out.stdout(`${tenant}: ${results.filter((result) => result.status === 'imported').length} imported\n`);
  };

  for await (const page of paginateGetApiKeys({ client, pageSize: 500 }, { includeValues: true })) {
    for (const apiKey of page.items ?? []) {
      const key = pendingOf(apiKey);
      const destination = destinationOf(apiKey, plansOf.get(key.id) ?? [], mapping);
      if ('skipped' in destination) {
        summary[destination.skipped === 'disabled' ? 'disabled' : 'unmapped'] += 1;
        out.stderr(`API key ${key.id} (${key.name}): ${destination.reason}: skipped\n`);
        continue;
      }
      const batch = waiting.get(destination.tenant) ?? [];
      batch.push(key);
      waiting.set(destination.tenant, batch);
      if (batch.length === MAX_IMPORT_KEYS) await flush(destination.tenant);
    }
  }
  for (const tenant of [...waiting.keys()]) await flush(tenant);
  const verb = options.dryRun ? 'dry run: would send' : 'imported';
  out.stdout(
    `${verb} ${summary.imported}, duplicate ${summary.duplicate}, invalid ${summary.invalid}; skipped: ` +
      `disabled ${summary.disabled}, no tenant ${summary.unmapped}, unknown tenant ${summary.noSuchTenant}\n`,
  );
  return summary;
}

/**
 * An API Gateway key as an item of the import route: its value as the plaintext `key` (hashed on
 * arrival), its name, when it was created, and its API Gateway id in `meta` to trace it back.
 */
function pendingOf(apiKey: ApiKey): Pending {
  const id = apiKey.id ?? '';
  const name = (apiKey.name ?? '').trim().slice(0, 100) || id;
  const item = {
    key: apiKey.value,
    name,
    ...(apiKey.createdDate === undefined ? {} : { createdAt: new Date(apiKey.createdDate).toISOString() }),
    meta: { apiGatewayKeyId: id },
  };
  return { id, name, item };
}

/** The ids of the usage plans named by `--usage-plan` (by id or by name), to their tenants. */
async function resolvePlans(
  client: APIGatewayClient,
  flags: ReadonlyMap<string, string>,
): Promise<Map<string, string>> {
  const resolved = new Map<string, string>();
  if (flags.size === 0) return resolved;
  const found = new Set<string>();
  for await (const page of paginateGetUsagePlans({ client, pageSize: 500 }, {})) {
    for (const plan of page.items ?? []) {
      for (const named of [plan.id, plan.name]) {
        const tenant = named === undefined ? undefined : flags.get(named);
        if (tenant === undefined || plan.id === undefined) continue;
        found.add(named as string);
        resolved.set(plan.id, tenant);
      }
    }
  }
  const unknown = [...flags.keys()].filter((named) => !found.has(named));
  if (unknown.length > 0) throw new Error(`no usage plan has the id or name ${unknown.join(', ')}`);
  return resolved;
}

/** Each key's mapped usage plans (`GetUsagePlanKeys` of every mapped plan, page by page). */
async function mappedPlansOfKeys(client: APIGatewayClient, planIds: readonly string[]): Promise<Map<string, string[]>> {
  const plansOf = new Map<string, string[]>();
  for (const usagePlanId of planIds) {
    for await (const page of paginateGetUsagePlanKeys({ client, pageSize: 500 }, { usagePlanId })) {
      for (const key of page.items ?? []) {
        if (key.id !== undefined) plansOf.set(key.id, [...(plansOf.get(key.id) ?? []), usagePlanId]);
      }
    }
  }
  return plansOf;
}

function flagValues(args: readonly string[], name: string): string[] {
  return args.flatMap((arg, index) => (arg === `--${name}` ? [args[index + 1] ?? ''] : []));
}

function parseOptions(args: readonly string[], env: NodeJS.ProcessEnv): Options {
  const dryRun = args.includes('--dry-run');
  const url = flagValues(args, 'url')[0] ?? '';
  const operatorKey = env.KEYGATE_OPERATOR_KEY ?? '';
  if (!dryRun && url === '') throw new Error('import-apigateway-keys needs --url');
  if (!dryRun && operatorKey === '')
    throw new Error('import-apigateway-keys needs the operator key in KEYGATE_OPERATOR_KEY');
  const usagePlanFlags = pairsOf('usage-plan', flagValues(args, 'usage-plan'));
  const tag = flagValues(args, 'tag')[0];
  const names = pairsOf('name', flagValues(args, 'name'));
  if (usagePlanFlags.size === 0 && tag === undefined && names.size === 0)
    throw new Error('import-apigateway-keys needs at least one of --usage-plan, --tag and --name');
  return {
    api: { url, operatorKey },
    mapping: { usagePlans: new Map(), ...(tag === undefined || tag === '' ? {} : { tag }), names },
    usagePlanFlags,
    dryRun,
  };
}
