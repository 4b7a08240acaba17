import { JavaMissingError } from './dynamodb-local';
import { startKeygateLocal } from './app';
import { leakPolicyFrom } from '../lambdas/core/leaks/leak-service';
import { localSettings } from './settings';

/** Reads a positive integer from the environment. */
function intFromEnv(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a whole number, received ${JSON.stringify(text)}`);
  return value;
}

async function main(): Promise<void> {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const settings = localSettings();
  const keygate = await startKeygateLocal({
    port: intFromEnv('PORT', 3000),
    dataDir: process.env.KEYGATE_DATA_DIR || undefined,
    dynamodbEndpoint: process.env.KEYGATE_DYNAMODB_ENDPOINT || undefined,
    keyPrefix: settings.keyPrefix,
    acceptBareKeys: settings.acceptBareKeys,
    cacheTtlSeconds: settings.authorizerCacheTtlSeconds,
    plans: settings.plans,
    operatorPlan: settings.operatorPlan,
    stage: settings.stageName,
    onLeak: leakPolicyFrom(process.env.KEYGATE_ON_LEAK, 'KEYGATE_ON_LEAK'),
    githubPublicKeys: process.env.KEYGATE_GITHUB_PUBLIC_KEYS || undefined,
  });
  process.stdout.write(`keygate is listening on ${keygate.url}\n`);
  if (keygate.operatorKey !== undefined) {
    process.stdout.write(`operator key: ${keygate.operatorKey}\n`);
    process.stdout.write('it is shown this once; keep it somewhere safe.\n');
  } else {
    process.stdout.write('the operator key was printed when this data folder was first used; it is not stored and cannot be shown again.\n');
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: stopping\n`);
    keygate.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof JavaMissingError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`keygate could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
