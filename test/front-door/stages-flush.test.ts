import { APIGatewayClient, FlushStageAuthorizersCacheCommand } from '@aws-sdk/client-api-gateway';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import { Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { flushStagesFromEnv, StagesCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { KeygateStack } from '../../lib/keygate-stack';
import { DEFAULT_SETTINGS, resolveSettings, settingsFromContext } from '../../lib/settings';
import { testApp } from '../support/cdk';

type Resource = { Type: string; Properties: Record<string, any> };

let template: Template;
let otherApiId: string;
let keygateApiId: string;

beforeAll(() => {
  const stack = new KeygateStack(testApp(), 'Guard', { settings: DEFAULT_SETTINGS });
  // a second API of the user's, guarded by the same key authorizer.
  const other = new apigateway.RestApi(stack, 'Shipments', {
    deployOptions: { stageName: 'live' },
    cloudWatchRole: false,
  });
  other.root.addResource('shipments').addMethod('GET', new apigateway.MockIntegration(), {
    authorizer: stack.keygate.keyAuthorizer.keysOnlyAuthorizerFor(other),
    authorizationType: apigateway.AuthorizationType.CUSTOM,
    apiKeyRequired: true,
  });
  stack.protectStage(other.deploymentStage);
  template = Template.fromStack(stack);
  otherApiId = stack.resolve(other.restApiId).Ref;
  keygateApiId = stack.resolve(stack.keygate.api.restApiId).Ref;
});

function fn(description: RegExp): Resource {
  const found = (Object.values(template.findResources('AWS::Lambda::Function')) as Resource[]).filter((f) =>
    description.test(f.Properties.Description ?? ''),
  );
  expect(found).toHaveLength(1);
  return found[0];
}

function statementsOf(resource: Resource): unknown[] {
  const role = resource.Properties.Role['Fn::GetAtt'][0];
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
  return policies
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

describe('every protected stage is flushed', () => {
  it('gives another API an authorizer of its own over the keys-only function', () => {
    const authorizers = Object.values(template.findResources('AWS::ApiGateway::Authorizer')) as Resource[];
    expect(authorizers).toHaveLength(2);
    const other = authorizers.find((a) => a.Properties.RestApiId.Ref === otherApiId)!;
    expect(JSON.stringify(other.Properties.AuthorizerUri)).toContain('KeyAuthorizerKeysOnlyFunction');
    expect(authorizers.map((a) => a.Properties.RestApiId.Ref).sort()).toEqual([keygateApiId, otherApiId].sort());
  });

  it.each([/flushes the authorizer cache/, /the keys routes/, /the panel routes/])(
    'lets %s flush both stages and names them in FLUSH_STAGES',
    (description) => {
      const resource = fn(description);
      const stages = JSON.stringify(resource.Properties.Environment.Variables.FLUSH_STAGES);
      expect(stages).toContain(keygateApiId);
      expect(stages).toContain(otherApiId);
      expect(stages).toMatch(/stageName.*prod.*stageName/);
      const statements = JSON.stringify(statementsOf(resource));
      for (const id of [keygateApiId, otherApiId]) {
        expect(statements).toContain(`{"Ref":"${id}"},"/stages/`);
      }
    },
  );
});

describe('keygate:protectedStages', () => {
  it('adds configured stages of other APIs to every flush', () => {
    const app = testApp({ 'keygate:protectedStages': '[{"restApiId":"abc1234567","stageName":"v2"}]' });
    const stack = new KeygateStack(app, 'Configured', { settings: settingsFromContext(app.node) });
    const t = Template.fromStack(stack);
    const consumer = (Object.values(t.findResources('AWS::Lambda::Function')) as Resource[]).find((f) =>
      /flushes the authorizer cache/.test(f.Properties.Description),
    );
    expect(JSON.stringify(consumer?.Properties.Environment.Variables.FLUSH_STAGES)).toContain(
      '{\\"restApiId\\":\\"abc1234567\\",\\"stageName\\":\\"v2\\"}',
    );
    expect(JSON.stringify(t.findResources('AWS::IAM::Policy'))).toContain(
      '/restapis/abc1234567/stages/v2/cache/authorizers',
    );
  });

  it.each([
    ['not JSON', '[{'],
    ['a bad id', [{ restApiId: 'x', stageName: 'prod' }]],
    ['an extra field', [{ restApiId: 'abc1234567', stageName: 'prod', region: 'x' }]],
  ])('refuses %s', (_label, value) => {
    expect(() => resolveSettings({ protectedStages: value }, () => 'keygate:protectedStages')).toThrow(
      /keygate:protectedStages/,
    );
  });
});

describe('StagesCacheFlusher', () => {
  const apiGateway = mockClient(APIGatewayClient);
  beforeEach(() => apiGateway.reset());

  it('flushes every stage', async () => {
    apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});
    await new StagesCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), [
      { restApiId: 'a1', stageName: 'prod' },
      { restApiId: 'b2', stageName: 'live' },
    ]).flush();
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand).map((c) => c.args[0].input)).toEqual([
      { restApiId: 'a1', stageName: 'prod' },
      { restApiId: 'b2', stageName: 'live' },
    ]);
  });

  it('tries every stage when one fails, then fails so the flush is retried', async () => {
    apiGateway
      .on(FlushStageAuthorizersCacheCommand, { restApiId: 'a1' })
      .rejects(new Error('boom'))
      .on(FlushStageAuthorizersCacheCommand, { restApiId: 'b2' })
      .resolves({});
    const flusher = new StagesCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), [
      { restApiId: 'a1', stageName: 'prod' },
      { restApiId: 'b2', stageName: 'live' },
    ]);
    await expect(flusher.flush()).rejects.toThrow(/1 of 2 stage flushes failed/);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(2);
  });

  it.each([[[]], [{}], [[{ restApiId: 'a' }]]])('refuses FLUSH_STAGES %j at load', (value) => {
    expect(() => flushStagesFromEnv(value)).toThrow(/FLUSH_STAGES/);
  });
});
