import { Template } from 'aws-cdk-lib/assertions';
import { mintKeyIn } from '../../lambdas/core/keys/format';
import { mintSessionToken } from '../../lambdas/core/sessions/token';
import { KeygateStack } from '../../lib/keygate-stack';
import { settingsFromContext } from '../../lib/settings';
import { testApp } from '../support/cdk';

/**
 * API Gateway matches the identity-validation expression before the authorizer runs: a session
 * token it refuses never reaches the Lambda. The synthesized expression must let sessions through
 * in every key format set, and the session routes must be methods of the API.
 */
let template: Template;

beforeAll(() => {
  const app = testApp({
    'keygate:keyFormat': JSON.stringify({ prefix: 'sk', environment: false, checksum: false }),
    'keygate:acceptedKeyFormats': JSON.stringify([{ prefix: 'sk', environment: true, checksum: true }]),
  });
  template = Template.fromStack(new KeygateStack(app, 'Sessions', { settings: settingsFromContext(app.node) }));
});

describe('sessions in the synthesized API', () => {
  it("the authorizer's identity-validation expression takes session tokens as well as keys", () => {
    const authorizers = Object.values(template.findResources('AWS::ApiGateway::Authorizer')) as {
      Properties: { IdentityValidationExpression: string };
    }[];
    expect(authorizers).toHaveLength(1);
    const expression = new RegExp(authorizers[0]!.Properties.IdentityValidationExpression);
    const token = mintSessionToken().plaintext;
    expect(expression.test(`Bearer ${token}`)).toBe(true);
    expect(expression.test(token)).toBe(true);
    expect(
      expression.test(`Bearer ${mintKeyIn({ prefix: 'sk', environment: false, checksum: false }, 'live').plaintext}`),
    ).toBe(true);
    // one character short or long, or another prefix, is refused before the Lambda.
    for (const wrong of [token.slice(0, -1), `${token}A`, `kgx_${token.slice(4)}`, `Bearer  ${token}`])
      expect(expression.test(wrong)).toBe(false);
  });

  it('has the session routes as methods behind the authorizer', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as {
      Properties: { HttpMethod: string; AuthorizationType?: string };
    }[];
    const deletes = methods.filter((m) => m.Properties.HttpMethod === 'DELETE');
    expect(deletes.every((m) => m.Properties.AuthorizationType === 'CUSTOM')).toBe(true);
    const resources = template.findResources('AWS::ApiGateway::Resource');
    const parts = Object.values(resources).map((r) => (r as { Properties: { PathPart: string } }).Properties.PathPart);
    expect(parts).toEqual(expect.arrayContaining(['session', 'sessions', '{sessionId}']));
  });
});
