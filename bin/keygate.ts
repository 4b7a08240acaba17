#!/usr/bin/env node
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateStack } from '../lib/keygate-stack';
import { settingsFromContext } from '../lib/settings';

const app = new App();
const account = process.env.CDK_DEFAULT_ACCOUNT;
const region = process.env.CDK_DEFAULT_REGION;
new KeygateStack(app, 'Keygate', {
  settings: settingsFromContext(app.node),
  description: 'keygate: API keys for API Gateway',
  ...(account !== undefined || region !== undefined ? { env: { account, region } } : {}),
});
// cdk-nag 3 runs as a validation plugin at synth: an unacknowledged finding fails the synth.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
