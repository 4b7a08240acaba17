import https from 'node:https';
import type { RequestOptions } from 'node:https';
import { EventEmitter } from 'node:events';
import { authorizerFromEnvironment } from '../../lambdas/authorizer/from-environment';
import { DynamoDbHttp } from '../../lambdas/runtime/dynamodb-http';
import type { SignedKeyReaderProps } from '../../lambdas/runtime/signed-key-reader';

/**
 * The authorizer's signed DynamoDB reader outside the `aws` partition: the endpoint's DNS suffix
 * is the partition's (`amazonaws.com.cn` in China), and the request is signed for that host, so
 * the authorizer does not fail closed on every request there.
 */
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

afterEach(() => jest.restoreAllMocks());

/** The client, and the options of the one HTTPS request a call makes (answered with a transport error). */
async function requestOf(make: () => DynamoDbHttp): Promise<{ client: DynamoDbHttp; sent: RequestOptions }> {
  let sent: RequestOptions | undefined;
  jest.spyOn(https, 'request').mockImplementation(((options: RequestOptions) => {
    sent = options;
    const request = Object.assign(new EventEmitter(), {
      reusedSocket: false,
      end: () => setImmediate(() => request.emit('error', new Error('no network in this test'))),
    });
    return request;
  }) as unknown as typeof https.request);
  const client = make();
  await expect(client.call('GetItem', {})).rejects.toThrow('no network in this test');
  return { client, sent: sent! };
}

describe.each([
  ['aws-cn', 'cn-north-1', 'amazonaws.com.cn'],
  ['aws-us-gov', 'us-gov-west-1', 'amazonaws.com'],
  ['aws', 'eu-west-1', 'amazonaws.com'],
])('the signed DynamoDB reader in the %s partition', (_partition, region, dnsSuffix) => {
  it(`calls and signs for dynamodb.${region}.${dnsSuffix}`, async () => {
    const { client, sent } = await requestOf(() => new DynamoDbHttp({ ...credentials, region, dnsSuffix }));

    expect(client.url.href).toBe(`https://dynamodb.${region}.${dnsSuffix}/`);
    expect(sent.hostname).toBe(`dynamodb.${region}.${dnsSuffix}`);
    const headers = sent.headers as Record<string, string>;
    expect(headers.authorization).toContain(`/${region}/dynamodb/aws4_request`);
    expect(headers.authorization).toMatch(/SignedHeaders=[^,]*\bhost\b/);
  });
});

describe('the authorizer from its environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it("reads the partition's DNS suffix and gives it to the reader", () => {
    Object.assign(process.env, {
      TABLE_NAME: 'keys',
      KEY_PREFIX: 'sk',
      ACCEPT_BARE_KEYS: 'true',
      LAST_USED_INTERVAL_SECONDS: '60',
      ROUTE_ROLES: '[]',
      AWS_REGION: 'cn-north-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      DNS_SUFFIX: 'amazonaws.com.cn',
    });
    let given: SignedKeyReaderProps | undefined;

    authorizerFromEnvironment((props) => {
      given = props;
      return { call: async () => ({}) };
    });

    expect(given).toMatchObject({ region: 'cn-north-1', dnsSuffix: 'amazonaws.com.cn' });
  });
});
