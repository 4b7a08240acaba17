import { Template } from 'aws-cdk-lib/assertions';
import { KeygateStack } from '../../lib/keygate-stack';
import { AUTHORIZER_RESULT_LIMIT_BYTES, largestResultBytes } from '../../lib/authorizer-limits';
import { settingsFromContext } from '../../lib/settings';
import { MAX_WORKSPACE_SEGMENT } from '../../lib/setting-sources';
import { testApp } from '../support/cdk';

type Resource = { Properties: Record<string, any> };

/** The stack with a front door, and workspaces at `segment` when given. */
function synth(segment?: number): Template {
  const app = testApp({
    'keygate:upstreamUrl': 'https://posts.example.com',
    ...(segment === undefined ? {} : { 'keygate:workspacePathSegment': segment }),
  });
  return Template.fromStack(new KeygateStack(app, 'Workspaces', { settings: settingsFromContext(app.node) }));
}

const upstreamMethods = (template: Template): Resource[] =>
  (Object.values(template.findResources('AWS::ApiGateway::Method')) as Resource[]).filter(
    (method) => method.Properties.Integration?.Type === 'HTTP_PROXY',
  );
const authorizerVariables = (template: Template): Record<string, unknown> => {
  const functions = Object.values(template.findResources('AWS::Lambda::Function')) as Resource[];
  const authorizers = functions.filter((f) => f.Properties.Environment?.Variables?.ACCEPT_SESSIONS !== undefined);
  expect(authorizers).toHaveLength(2);
  // both functions (keygate's routes, and the keys-only one of the front door) read the same settings.
  const [own, keysOnly] = authorizers.map((f) => f.Properties.Environment.Variables);
  expect(keysOnly.WORKSPACE_SEGMENT).toEqual(own.WORKSPACE_SEGMENT);
  return own;
};

describe('keygate:workspacePathSegment', () => {
  const withWorkspaces = synth(1);
  const without = synth();

  it("maps x-keygate-workspaces from the authorizer's context on both front-door methods", () => {
    const methods = upstreamMethods(withWorkspaces);
    expect(methods).toHaveLength(2);
    for (const method of methods) {
      expect(method.Properties.Integration.RequestParameters['integration.request.header.x-keygate-workspaces']).toBe(
        'context.authorizer.workspaces',
      );
    }
  });

  it('tells the authorizer the segment', () => {
    expect(authorizerVariables(withWorkspaces).WORKSPACE_SEGMENT).toBe('1');
  });

  it('adds neither without the setting', () => {
    for (const method of upstreamMethods(without)) {
      expect(method.Properties.Integration.RequestParameters).not.toHaveProperty(
        'integration.request.header.x-keygate-workspaces',
      );
    }
    expect(authorizerVariables(without)).not.toHaveProperty('WORKSPACE_SEGMENT');
  });

  it("keeps the authorizer's largest answer under API Gateway's 8 KB on the default stage, at every segment", () => {
    for (let segment = 1; segment <= MAX_WORKSPACE_SEGMENT; segment += 1) {
      expect(largestResultBytes([], ['prod'], segment)).toBeLessThanOrEqual(AUTHORIZER_RESULT_LIMIT_BYTES);
    }
  });

  it('refuses to synthesize a segment outside 1 to 8, naming the setting', () => {
    expect(() => synth(0)).toThrow(/keygate:workspacePathSegment must be a whole number from 1 to 8, received 0/);
  });
});
