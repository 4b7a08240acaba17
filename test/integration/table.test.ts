import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { ensureTable } from '../../local/table';
import { testEndpoint } from '../support/dynamodb';

const client = new DynamoDBClient({ endpoint: testEndpoint(), ...LOCAL_AWS });
afterAll(() => client.destroy());

/** Creates a table with the options, answers its TTL status, and drops it. */
async function ttlOf(options: Parameters<typeof ensureTable>[2]): Promise<string | undefined> {
  const tableName = `keygate-ttl-${randomUUID().slice(0, 8)}`;
  expect(await ensureTable(client, tableName, options)).toBe(true);
  try {
    return (await client.send(new DescribeTimeToLiveCommand({ TableName: tableName }))).TimeToLiveDescription
      ?.TimeToLiveStatus;
  } finally {
    await client.send(new DeleteTableCommand({ TableName: tableName }));
  }
}

describe('ensureTable', () => {
  it('expires items by their ttl by default, as the stack does in AWS', async () => {
    expect(await ttlOf({})).toBe('ENABLED');
  });

  it('leaves TTL off when asked, as test tables whose clocks are injected need', async () => {
    expect(await ttlOf({ timeToLive: false })).toBe('DISABLED');
  });
});
