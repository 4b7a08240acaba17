import { APIGatewayClient, CreateApiKeyCommand, CreateUsagePlanCommand } from '@aws-sdk/client-api-gateway';
import { mockClient } from 'aws-sdk-client-mock';
import { ApiGatewayUsagePlans } from '../../lambdas/runtime/api-gateway-usage-plans';

const apiGateway = mockClient(APIGatewayClient);
const client = new APIGatewayClient({ region: 'eu-west-1' });

beforeEach(() => {
  apiGateway.reset();
});

describe('API keys and usage plans created at run time', () => {
  it('carry the keygate:stack tag with the stack name', async () => {
    apiGateway.on(CreateApiKeyCommand).resolves({ id: 'k1' });
    apiGateway.on(CreateUsagePlanCommand).resolves({ id: 'p1' });
    const plans = new ApiGatewayUsagePlans(client, { restApiId: 'api123', stageName: 'prod', stackTag: 'Keygate' });

    await plans.createApiKey('Keygate-acme-live', 'v'.repeat(40));
    await plans.createUsagePlan('Keygate-enterprise-acme', { rateLimit: 5, burstLimit: 10 });

    expect(apiGateway.commandCalls(CreateApiKeyCommand)[0].args[0].input.tags).toEqual({ 'keygate:stack': 'Keygate' });
    expect(apiGateway.commandCalls(CreateUsagePlanCommand)[0].args[0].input.tags).toEqual({
      'keygate:stack': 'Keygate',
    });
  });
});
