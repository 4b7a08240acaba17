import { marshall } from '@aws-sdk/util-dynamodb';
import { authorizerFromEnvironment } from '../../lambdas/authorizer/from-environment';
import { ENV } from '../../lambdas/runtime/env-names';
import { AUTHORIZER_ENVIRONMENT, keyFixture, rawKeyItem } from '../support/fixtures';

const arnOn = (apiId: string) => `arn:aws:execute-api:eu-west-1:123456789012:${apiId}/prod/GET/public/v1/posts`;

describe("the authorizer from its environment, a suspended tenant's key", () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** The Lambda's handler over a table holding one key of a suspended tenant. */
  function handlerWith(extra: Record<string, string>) {
    Object.assign(process.env, AUTHORIZER_ENVIRONMENT, extra);
    const { item, plaintext } = keyFixture();
    const stored = marshall(rawKeyItem({ ...item, tenantStatus: 'suspended' }), { removeUndefinedValues: true });
    const handler = authorizerFromEnvironment(() => ({
      call: async (operation: string) => (operation === 'GetItem' ? { Item: stored } : {}),
    }));
    return (apiId: string) =>
      handler({ type: 'TOKEN', authorizationToken: `Bearer ${plaintext}`, methodArn: arnOn(apiId) });
  }

  it('is denied with the refusal named on the API of DENY_SUSPENDED_API_ID, and refused 401 on any other', async () => {
    const call = handlerWith({ [ENV.denySuspendedApiId]: 'guarded1' });
    const denied = await call('guarded1');
    expect(denied.policyDocument.Statement[0]).toMatchObject({ Effect: 'Deny' });
    expect(denied.context).toMatchObject({ refusal: 'suspended' });
    await expect(call('keygate1')).rejects.toThrow('Unauthorized');
  });

  it('is refused 401 everywhere without it', async () => {
    const call = handlerWith({});
    await expect(call('guarded1')).rejects.toThrow('Unauthorized');
  });
});
