import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoKeyStore } from '../core/dynamodb-store';
import { stringFromEnv } from './env';

/** Builds the document client every store uses, for Lambdas, the local gateway and tests. */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** The process's one key store, over `TABLE_NAME`; created when the module loads. */
export const keyStore = new DynamoKeyStore({
  client: documentClient(new DynamoDBClient({})),
  tableName: stringFromEnv('TABLE_NAME'),
});
