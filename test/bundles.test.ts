import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { buildProxyEvent } from '../local/proxy-event';
import { KeygateStack } from '../lib/keygate-stack';
import { DEFAULT_SETTINGS } from '../lib/settings';
import { createTestTable, testEndpoint, type TestTable } from './support/dynamodb';
import { keyFixture, tenantFixture } from './support/fixtures';
import { testApp } from './support/cdk';

/**
 * keygate's own functions are bundled as ES modules (the packages' ESM builds tree-shake;
 * the authorizer stays CommonJS).
 * An ES-module bundle can fail where its sources never do, when a bundled CommonJS package calls
 * `require`, or uses `__dirname`: so every function is loaded here from the asset `cdk synth`
 * builds, in a fresh `node` with the function's own environment, as Lambda's runtime loads it
 * (`import()` of `index.mjs`), and the account function answers a real request over DynamoDB Local.
 */
const run = promisify(execFile);

interface Lambda {
  readonly id: string;
  readonly file: string;
  readonly exportName: string;
  readonly environment: Record<string, string>;
}

let lambdas: Lambda[];
let table: TestTable;

beforeAll(async () => {
  const app = testApp({}, { bundle: true });
  const stack = new KeygateStack(app, 'Keygate', { settings: DEFAULT_SETTINGS });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, any> }>;
  };
  lambdas = Object.entries(template.Resources)
    .filter(
      ([, resource]) =>
        resource.Type === 'AWS::Lambda::Function' && String(resource.Properties.Handler).startsWith('index.'),
    )
    .map(([id, resource]) => {
      const hash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
      const variables = (resource.Properties.Environment?.Variables ?? {}) as Record<string, unknown>;
      const environment = Object.fromEntries(
        Object.entries(variables).map(([name, value]) => [name, deployTimeValue(value)]),
      );
      const esm = path.join(assembly.directory, `asset.${hash}`, 'index.mjs');
      return {
        id,
        file: existsSync(esm) ? esm : path.join(assembly.directory, `asset.${hash}`, 'index.js'),
        exportName: String(resource.Properties.Handler).slice('index.'.length),
        environment,
      };
    });
  table = await createTestTable('bundles');
}, 180_000);
afterAll(async () => {
  await table.drop();
});

/** The pseudo parameters CloudFormation fills in, as in the `aws` partition. */
const PSEUDO_PARAMETERS: Readonly<Record<string, string>> = {
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::Partition': 'aws',
  'AWS::Region': 'us-east-1',
  'AWS::AccountId': '123456789012',
};

/**
 * A value as CloudFormation would fill it in at deploy time, with a stand-in for each reference
 * (a table name, a queue URL, an API id): joins are joined, so JSON built around references
 * (`FLUSH_STAGES`) stays JSON.
 */
function deployTimeValue(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as { 'Fn::Join'?: [string, unknown[]]; Ref?: string; 'Fn::GetAtt'?: string[] };
  if (intrinsic['Fn::Join'] !== undefined)
    return intrinsic['Fn::Join'][1].map(deployTimeValue).join(intrinsic['Fn::Join'][0]);
  if (intrinsic.Ref !== undefined) return PSEUDO_PARAMETERS[intrinsic.Ref] ?? `stand-in-${intrinsic.Ref}`;
  if (intrinsic['Fn::GetAtt'] !== undefined) return `stand-in-${intrinsic['Fn::GetAtt'].join('-')}`;
  throw new Error(`no stand-in for ${JSON.stringify(value)}`);
}

/** Lambda's environment for a function: its own variables, the region and (dummy) credentials. */
function lambdaEnvironment(lambda: Lambda, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local-session',
    AWS_LAMBDA_FUNCTION_NAME: lambda.id,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    ...lambda.environment,
    ...extra,
  };
}

/** Loads a bundle in a fresh node as Lambda's runtime does, and calls its handler with `event` when given. */
async function invoke(
  lambda: Lambda,
  event?: unknown,
  extra?: Record<string, string>,
): Promise<{ type: string; result?: unknown }> {
  const script = `
    const module = await import(${JSON.stringify(`file://${lambda.file}`)});
    const handler = module[${JSON.stringify(lambda.exportName)}];
    const event = ${JSON.stringify(event ?? null)};
    const result = event === null ? undefined : await handler(event, { awsRequestId: 'bundle-test', getRemainingTimeInMillis: () => 10000 });
    process.stdout.write(JSON.stringify({ type: typeof handler, result }));
    process.exit(0);`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    env: lambdaEnvironment(lambda, extra),
    timeout: 60_000,
  });
  // a handler's own log lines come first: the answer is the last line.
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { type: string; result?: unknown };
}

function account(): Lambda {
  const found = lambdas.find((lambda) => lambda.id.startsWith('AccountFunction'));
  if (found === undefined) throw new Error('no account function in the template');
  return found;
}

/** A developer key of a tenant of its own, stored in the test table. */
async function callerKey() {
  const tenant = tenantFixture({ tenantId: `bundles-${Date.now()}-${Math.random().toString(36).slice(2, 6)}` });
  const { item } = keyFixture({ tenant, role: 'developer' });
  await table.store.createTenant(tenant, item);
  return { item, tenant };
}

/** `GET /v1/me` as API Gateway sends it once the authorizer allowed `item`. */
function meEvent(
  item: ReturnType<typeof keyFixture>['item'],
  tenant: ReturnType<typeof tenantFixture>,
  headers: Record<string, string> = {},
) {
  return buildProxyEvent({
    method: 'GET',
    path: '/v1/me',
    resource: '/v1/me',
    pathParameters: {},
    query: new URLSearchParams(),
    headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    body: undefined,
    accountId: '123456789012',
    apiId: 'api',
    stage: 'prod',
    requestId: 'bundle-test',
    sourceIp: '127.0.0.1',
    protocol: 'HTTP/1.1',
    receivedAt: new Date(),
    authorizer: {
      principalId: item.id,
      context: {
        tenantId: tenant.tenantId,
        keyId: item.id,
        environment: item.environment,
        role: item.role,
        plan: tenant.plan,
      },
      integrationLatency: 1,
    },
  });
}

describe("keygate's Lambda bundles as cdk synth builds them", () => {
  it('are ES modules that Node 22 runs as such, but for the authorizer (CommonJS, measured no different)', () => {
    expect(lambdas.length).toBeGreaterThanOrEqual(10);
    for (const lambda of lambdas) {
      expect(existsSync(lambda.file)).toBe(true);
      expect(path.extname(lambda.file)).toBe(lambda.id.startsWith('KeyAuthorizer') ? '.js' : '.mjs');
      if (lambda.id.startsWith('KeyAuthorizer')) continue;
      expect(readFileSync(lambda.file, 'utf8')).toMatch(
        /^import\{createRequire as __keygateCreateRequire\}from'node:module';/,
      );
    }
  });

  it('each load in a fresh node with the function’s environment and export its handler', async () => {
    for (const lambda of lambdas) {
      await expect(invoke(lambda)).resolves.toEqual({ type: 'function' });
    }
  }, 180_000);

  // the account function reads usage through the tenant service but may not flush: it gets no FLUSH_*
  // settings, and loaded only once the flusher was built on first use instead of at load.
  it('the account function loads with the environment the stack gives it', async () => {
    const account = lambdas.find((lambda) => lambda.id.startsWith('AccountFunction'));
    if (account === undefined) throw new Error('no account function in the template');
    await expect(invoke(account)).resolves.toEqual({ type: 'function' });
  }, 60_000);

  it('the account function answers GET /v1/me over DynamoDB Local through the bundled SDK', async () => {
    const { item, tenant } = await callerKey();
    const { result } = await invoke(account(), meEvent(item, tenant), {
      TABLE_NAME: table.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: testEndpoint(),
    });
    const response = result as { statusCode: number; body: string };
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ key: { id: item.id }, tenant: { tenantId: tenant.tenantId } });
  }, 60_000);

  // the aggregator as CloudWatch Logs invokes it: a recorded subscription event, twice.
  it('the usage function counts a recorded access log batch into DynamoDB Local, and a redelivery once', async () => {
    const usage = lambdas.find((lambda) => lambda.id.startsWith('UsageFunction'));
    if (usage === undefined) throw new Error('no usage function in the template');
    const event = JSON.parse(
      readFileSync(path.join(__dirname, 'fixtures', 'usage', 'access-log-subscription.json'), 'utf8'),
    ) as unknown;
    const local = { TABLE_NAME: table.tableName, AWS_ENDPOINT_URL_DYNAMODB: testEndpoint() };
    const first = await invoke(usage, event, local);
    const again = await invoke(usage, event, local);
    expect(first.result).toMatchObject({ lines: 6, skipped: 0, counted: 6, duplicate: false });
    expect(again.result).toMatchObject({ lines: 6, counted: 6, duplicate: true, writes: 0 });
  }, 60_000);

  it('the account function puts a listed origin on its answer when the stack allows origins', async () => {
    const { item, tenant } = await callerKey();
    const origin = 'https://app.example.com';
    const { result } = await invoke(account(), meEvent(item, tenant, { Origin: origin }), {
      TABLE_NAME: table.tableName,
      AWS_ENDPOINT_URL_DYNAMODB: testEndpoint(),
      CORS_ORIGINS: JSON.stringify([origin]),
    });
    const response = result as { statusCode: number; headers: Record<string, string> };
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({ 'access-control-allow-origin': origin, vary: 'Origin' });
  }, 60_000);
});
