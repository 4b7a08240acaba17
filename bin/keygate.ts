#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { consoleFiles } from './console-files';
import { KeygateStack } from '../lib/keygate-stack';
import { SettingsError, settingsFromContext } from '../lib/settings';

async function main(): Promise<void> {
  const app = new App();
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  try {
    const settings = settingsFromContext(app.node);
    new KeygateStack(app, 'Keygate', {
      settings,
      description: 'keygate: API keys for API Gateway',
      ...(account !== undefined || region !== undefined ? { env: { account, region } } : {}),
      // the console is built (esbuild, in memory, as `npm start` builds it) only when it is deployed.
      ...(settings.console ? { consoleFiles: await consoleFiles() } : {}),
    });
  } catch (error) {
    // a setting the user got wrong is theirs to fix: its message says how, a stack trace would bury it.
    if (!(error instanceof SettingsError)) throw error;
    process.stderr.write(`keygate: ${error.message}\n`);
    process.exit(1);
  }
  // cdk-nag 3 runs as a validation plugin at synth: an unacknowledged finding fails the synth.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
