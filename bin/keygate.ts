#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateStack } from '../lib/keygate-stack';
import { SettingsError, settingsFromContext } from '../lib/settings';

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
try {
  new KeygateStack(app, 'Keygate', {
    settings: settingsFromContext(app.node),
    description: 'keygate: API keys for API Gateway',
    ...(account !== undefined || region !== undefined ? { env: { account, region } } : {}),
  });
} catch (error) {
  // a setting the user got wrong is theirs to fix: its message says how, a stack trace would bury it.
  if (!(error instanceof SettingsError)) throw error;
  process.stderr.write(`keygate: ${error.message}\n`);
  process.exit(1);
}
// cdk-nag 3 runs as a validation plugin at synth: an unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
