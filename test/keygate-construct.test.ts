import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { RETURN_ORDER_ROUTES } from '../examples/return-orders/routes';
import { Keygate } from '../lib/keygate';
import { KeygateStack } from '../lib/keygate-stack';
import { DEFAULT_SETTINGS } from '../lib/settings';

/** An app that synthesizes without bundling: these tests are about the construct tree, not the Lambda code. */
const newApp = (): App => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('Keygate inside a stack of your own', () => {
  const stack = new Stack(newApp(), 'Shop');
  new sqs.Queue(stack, 'Orders', { enforceSSL: true });
  const keygate = new Keygate(stack, 'Keygate', { settings: { ...DEFAULT_SETTINGS, keyPrefix: 'shop' } });
  const route = keygate.addRoute({ method: 'GET', path: '/v1/orders', entry: RETURN_ORDER_ROUTES[0].entry });
  new CfnOutput(stack, 'KeygateUrl', { value: keygate.api.url });
  const template = Template.fromStack(stack);

  it("synthesizes beside the stack's own resources, its API named after the stack", () => {
    template.resourceCountIs('AWS::SQS::Queue', 1 + countOf(Template.fromStack(plainKeygate()), 'AWS::SQS::Queue'));
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'Shop' });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { KEY_PREFIX: 'shop', ON_LEAK: 'revoke' } },
    });
    expect(route.function).toBeDefined();
  });

  it("leaves the stack's outputs to the stack: only the RestApi's own endpoint output is added", () => {
    const outputs = Object.keys(template.toJSON().Outputs ?? {}).filter((id) => id !== 'KeygateUrl');
    expect(outputs).toEqual([expect.stringMatching(/^KeygateApiEndpoint/)]);
  });
});

describe('KeygateStack', () => {
  it('has the logical ids of a Keygate with the id Default: the construct adds no level to them', () => {
    const shell = Template.fromStack(new KeygateStack(newApp(), 'Keygate', { settings: DEFAULT_SETTINGS }));
    // some ids hold the stack's name (event sources, permissions): the same name on both sides.
    const bare = new Stack(newApp(), 'Keygate');
    new Keygate(bare, 'Default', { settings: DEFAULT_SETTINGS });
    const resources = (t: Template) => Object.keys(t.toJSON().Resources as object).sort();
    expect(resources(shell)).toEqual(resources(Template.fromStack(bare)));
    expect(resources(shell)).toContain('KeysTableF42AC009');
  });
});

let plain: Stack | undefined;
/** A stack with only keygate in it, to count what keygate itself brings. */
function plainKeygate(): Stack {
  plain ??= new KeygateStack(newApp(), 'Plain', { settings: DEFAULT_SETTINGS });
  return plain;
}

function countOf(template: Template, type: string): number {
  return Object.keys(template.findResources(type)).length;
}
