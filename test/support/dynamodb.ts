import { randomUUID } from 'node:crypto';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { LOCAL_AWS } from '../../local/dynamodb-local';
import { ensureTable } from '../../local/table';

/** A fresh table in the run's DynamoDB Local, reached over its real protocol. */
export interface TestTable {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly store: DynamoKeyStore;
  drop(): Promise<void>;
}

/** The endpoint global-setup started. */
export function testEndpoint(): string {
  const endpoint = process.env.KEYGATE_TEST_DYNAMODB_ENDPOINT;
  if (endpoint === undefined)
    throw new Error(
      'KEYGATE_TEST_DYNAMODB_ENDPOINT is not set: only the integration, e2e and cdk layers start DynamoDB Local (jest.config.js); move this test into one of their folders',
    );
  return endpoint;
}

/**
 * Creates a table of its own for a test file. Its items do not expire unless `timeToLive` is set:
 * fixtures expire at instants relative to an injected clock, long past by the real one.
 */
export async function createTestTable(label = 'test', options: { timeToLive?: boolean } = {}): Promise<TestTable> {
  const client = new DynamoDBClient({ endpoint: testEndpoint(), ...LOCAL_AWS });
  const tableName = `keygate-${label}-${randomUUID().slice(0, 8)}`;
  await ensureTable(client, tableName, { timeToLive: options.timeToLive ?? false });
  const doc = documentClient(client);
  return {
    client,
    doc,
    tableName,
    store: new DynamoKeyStore({ client: doc, tableName }),
    drop: async () => {
      await client.send(new DeleteTableCommand({ TableName: tableName }));
      client.destroy();
    },
  };
}
