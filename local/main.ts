import './sdk-quiet';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { JavaMissingError, startTimeoutFromEnv } from './dynamodb-local';
import { startKeygateLocal, type LocalRoute } from './app';
import { assertPortFree, portFromEnv, PortInUseError, watchParent } from './lifecycle';
import { localOptionsOf, localSettings } from './settings';

/** The routes of your own a module exports as `localRoutes` (`KEYGATE_LOCAL_ROUTES=examples/return-orders/routes.ts`). */
async function localRoutes(): Promise<readonly LocalRoute[] | undefined> {
  const file = process.env.KEYGATE_LOCAL_ROUTES;
  if (file === undefined || file === '') return undefined;
  const routes = ((await import(resolve(file))) as { localRoutes?: unknown }).localRoutes;
  if (!Array.isArray(routes))
    throw new Error(`KEYGATE_LOCAL_ROUTES: ${file} must export localRoutes, a list of {route, handler}`);
  return routes as LocalRoute[];
}

async function main(): Promise<void> {
  const settings = localSettings();
  // the backend checks x-keygate-secret; without a set one, each start makes one and prints it.
  const upstreamSecret = process.env.KEYGATE_UPSTREAM_SECRET || randomBytes(24).toString('hex');
  // checked before anything starts, so a wrong PORT costs no java start.
  const port = portFromEnv('PORT', 3000);
  startTimeoutFromEnv();
  // a taken PORT is told at once, not after java has started.
  await assertPortFree(port, 'stop it, or set PORT to another port (0 picks a free one)');
  const keygate = await startKeygateLocal({
    ...localOptionsOf(settings),
    port,
    dataDir: process.env.KEYGATE_DATA_DIR || undefined,
    dynamodbEndpoint: process.env.KEYGATE_DYNAMODB_ENDPOINT || undefined,
    routes: await localRoutes(),
    upstream: settings.upstreamUrl === undefined ? undefined : { url: settings.upstreamUrl, secret: upstreamSecret },
    githubPublicKeys: process.env.KEYGATE_GITHUB_PUBLIC_KEYS || undefined,
  });
  process.stdout.write(`keygate is listening on ${keygate.url}\n`);
  process.stdout.write(`the API keys page, embedded in a demo dashboard: ${keygate.url}/demo\n`);
  process.stdout.write(`the operator console: ${keygate.url}/console\n`);
  if (settings.upstreamUrl !== undefined) {
    process.stdout.write(`forwarding other paths to ${settings.upstreamUrl}\n`);
    if (!process.env.KEYGATE_UPSTREAM_SECRET)
      process.stdout.write(`upstream secret (x-keygate-secret): ${upstreamSecret}\n`);
  }
  if (keygate.operatorKey !== undefined) {
    process.stdout.write(`operator key: ${keygate.operatorKey}\n`);
    process.stdout.write('it is shown this once; keep it somewhere safe.\n');
  } else {
    process.stdout.write(
      'the operator key was printed when this data folder was first used; it is not stored and cannot be shown again.\n',
    );
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
  process.on('SIGHUP', () => stop('SIGHUP'));
  // `npm start` is npm → tsx → node: if tsx dies without relaying a signal, stop rather than serve on unseen.
  watchParent(() => stop('parent process gone'));
}

main().catch((error: unknown) => {
  if (error instanceof JavaMissingError) {
    process.stderr.write(`${error.message}\n`);
  } else if (error instanceof PortInUseError) {
    process.stderr.write(`keygate could not start: ${error.message}\n`);
  } else if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
    process.stderr.write(
      `keygate could not start: port ${process.env.PORT ?? 3000} is in use; set PORT to another port (0 picks a free one)\n`,
    );
  } else {
    process.stderr.write(`keygate could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
});
