import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { backfillEnvironmentIndex, backfillNoticeIndexes, backfillTenantListing } from '../lambdas/core/store/backfill';
import type { AuthorizerCacheFlusher } from '../lambdas/core/auth/cache';
import { ensureOperator } from '../lambdas/core/tenants/bootstrap';
import { systemClock } from '../lambdas/core/support/clock';
import { DynamoKeyStore } from '../lambdas/core/store/dynamodb-store';
import { jsonLogger } from '../lambdas/core/support/logger';
import { TenantService } from '../lambdas/core/tenants/tenant-service';
import { lazyCatalog, type NamedPlan, type StandardPlan } from '../lambdas/core/plans/usage-plans';
import { documentClient } from '../lambdas/runtime/dynamodb-client';
import { ApiGatewayUsagePlans } from '../lambdas/runtime/api-gateway-usage-plans';
import { StageCacheFlusher } from '../lambdas/runtime/stage-cache-flusher';
import { BIND_GUARDED_STAGE_USAGE, bindGuardedStageCommand } from './bind-guarded-stage';
import { IMPORT_APIGATEWAY_KEYS_USAGE, importApiGatewayKeysCommand } from './import-apigateway-keys';
import { IMPORT_KEYS_USAGE, importKeysCommand } from './import-keys';
import { keyFormatOutput, RECOVER_OPERATOR_USAGE, recoverOperatorCommand } from './recover-operator';
import { REPLAY_EVENTS_USAGE, replayEventsCommand } from './replay-events';
import { SIGN_IN_LINK_USAGE, signInLinkCommand } from './sign-in-link';

const USAGE = `usage: npm run admin -- <command> [--stack Keygate] [--region <region>]

Runs with your own AWS credentials (the ones the AWS CLI would use) against a deployed keygate
stack, whose outputs say where its table and usage plans are.

commands:
  create-operator-key         mints the first operator key and prints it once; refuses when the
                              operator tenant already exists.
  backfill-environment-index  gives keys written before the byTenantEnvironment index existed
                              their index attributes (run once after upgrading; safe to repeat).
  backfill-tenant-listing     puts tenants written before GET /v1/panel/tenants existed into its
                              listing (run once after upgrading; safe to repeat).
  backfill-notice-indexes     puts active keys written before the daily notices existed into
                              their day indexes (run once after upgrading; safe to repeat). pass
                              --stale-after-days <keygate:staleAfterDays> if not 90: keys idle
                              longer are filed so that the next daily run reports them.
${RECOVER_OPERATOR_USAGE}
${REPLAY_EVENTS_USAGE}
${IMPORT_KEYS_USAGE}
${IMPORT_APIGATEWAY_KEYS_USAGE}
${BIND_GUARDED_STAGE_USAGE}
${SIGN_IN_LINK_USAGE}`;

/** The stack outputs the CLI needs; the stack writes them (see lib/keygate-stack.ts). */
interface StackOutputs {
  TableName: string;
  RestApiId: string;
  StageName: string;
  KeyPrefix: string;
  /** Absent from a stack deployed before key formats were a setting: the default format then. */
  KeyFormat?: string;
  NamePrefix: string;
  OperatorPlan: StandardPlan;
  Plans: string;
  /** Present when the stack has the guarded API (keygate:gatewayAnswers). */
  GuardedRestApiId?: string;
}

function flag(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

async function outputsOf(stackName: string, region: string | undefined): Promise<StackOutputs> {
  const cloudformation = new CloudFormationClient({ region });
  const described = await cloudformation.send(new DescribeStacksCommand({ StackName: stackName }));
  const outputs: Record<string, string> = {};
  for (const output of described.Stacks?.[0]?.Outputs ?? []) {
    if (output.OutputKey !== undefined && output.OutputValue !== undefined)
      outputs[output.OutputKey] = output.OutputValue;
  }
  const needed: (keyof StackOutputs)[] = [
    'TableName',
    'RestApiId',
    'StageName',
    'KeyPrefix',
    'NamePrefix',
    'OperatorPlan',
    'Plans',
  ];
  const missing = needed.filter((name) => outputs[name] === undefined);
  if (missing.length > 0)
    throw new Error(`stack ${stackName} lacks the outputs ${missing.join(', ')}: is it a keygate stack, deployed?`);
  return outputs as unknown as StackOutputs;
}

async function main(args: string[]): Promise<void> {
  if (
    ![
      'create-operator-key',
      'backfill-environment-index',
      'backfill-tenant-listing',
      'backfill-notice-indexes',
      'recover-operator',
      'replay-events',
      'import',
      'bind-guarded-stage',
      'import-apigateway-keys',
      'sign-in-link',
    ].includes(args[0] ?? '')
  ) {
    process.stderr.write(`${USAGE}\n`);
    process.exit(2);
  }
  if (args[0] === 'recover-operator') return recoverOperatorCommand(args.slice(1));
  if (args[0] === 'import') {
    await importKeysCommand(args.slice(1));
    return;
  }
  if (args[0] === 'sign-in-link') return signInLinkCommand(args.slice(1));
  if (args[0] === 'import-apigateway-keys') {
    await importApiGatewayKeysCommand(args.slice(1));
    return;
  }
  const region = flag(args, 'region');
  const stack = flag(args, 'stack') ?? 'Keygate';
  if (args[0] === 'replay-events') return replayEventsCommand(args, { stack, region });
  const outputs = await outputsOf(stack, region);
  if (args[0] === 'bind-guarded-stage')
    return bindGuardedStageCommand(new APIGatewayClient({ region, maxAttempts: 1 }), args, outputs);
  if (args[0] === 'backfill-tenant-listing') {
    const client = documentClient(new DynamoDBClient({ region }));
    const { scanned, updated } = await backfillTenantListing({ client, tableName: outputs.TableName });
    process.stdout.write(`scanned ${scanned} items; listed ${updated} tenants\n`);
    return;
  }
  if (args[0] === 'backfill-notice-indexes') {
    const client = documentClient(new DynamoDBClient({ region }));
    const days = Number(flag(args, 'stale-after-days') ?? 90);
    if (!Number.isInteger(days) || days < 1 || days > 3650)
      throw new Error(
        `--stale-after-days must be a whole number from 1 to 3650, received ${flag(args, 'stale-after-days')}`,
      );
    const { scanned, updated } = await backfillNoticeIndexes({
      client,
      tableName: outputs.TableName,
      staleAfterDays: days,
    });
    process.stdout.write(`scanned ${scanned} items; put ${updated} keys in the notice indexes\n`);
    return;
  }
  if (args[0] === 'backfill-environment-index') {
    const client = documentClient(new DynamoDBClient({ region }));
    const { scanned, updated } = await backfillEnvironmentIndex({ client, tableName: outputs.TableName });
    process.stdout.write(`scanned ${scanned} items; indexed ${updated} keys by environment\n`);
    return;
  }
  const store = new DynamoKeyStore({
    client: documentClient(new DynamoDBClient({ region })),
    tableName: outputs.TableName,
  });
  const apiGateway = new APIGatewayClient({ region, maxAttempts: 1 });
  const logger = jsonLogger({ source: 'keygate-admin' }, (line) => process.stderr.write(`${line}\n`));
  const usagePlans = new ApiGatewayUsagePlans(apiGateway, {
    restApiId: outputs.RestApiId,
    stageName: outputs.StageName,
    stackTag: outputs.NamePrefix,
  });
  const tenants = new TenantService({
    store,
    usagePlans,
    plans: lazyCatalog(JSON.parse(outputs.Plans) as Record<StandardPlan, NamedPlan>, (names) =>
      usagePlans.findUsagePlanIds(names),
    ),
    prefix: outputs.KeyPrefix,
    keyFormat: keyFormatOutput(outputs.KeyFormat),
    clock: systemClock,
    cache: adminCache(new StageCacheFlusher(apiGateway, outputs.RestApiId, outputs.StageName)),
    logger,
    namePrefix: outputs.NamePrefix,
    // creating the operator changes no plan: there is nothing to reconcile.
    reconcile: {
      request: async () => {
        throw new Error('the admin CLI does not change plans');
      },
    },
  });
  const key = await ensureOperator(store, tenants, outputs.OperatorPlan);
  if (key === undefined) {
    process.stderr.write(
      'the operator tenant exists already; its key was shown when it was created and is not stored.\n',
    );
    process.exit(1);
  }
  process.stdout.write(`operator key: ${key}\n`);
}

/**
 * The CLI only creates the operator tenant, which flushes nothing; it has no flush queue, so a
 * scheduled flush is refused loudly rather than silently skipped.
 */
function adminCache(stage: StageCacheFlusher): AuthorizerCacheFlusher {
  return {
    flush: () => stage.flush(),
    flushAt: async () => {
      throw new Error('the admin CLI cannot schedule authorizer cache flushes');
    },
  };
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`keygate-admin: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
