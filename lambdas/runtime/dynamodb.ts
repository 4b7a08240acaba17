import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoKeyStore } from '../core/dynamodb-store';
import { documentClient } from './dynamodb-client';
import { stringFromEnv } from './env';

/** The process's one key store, over `TABLE_NAME`; created when the module loads. */
export const keyStore = new DynamoKeyStore({
  client: documentClient(new DynamoDBClient({})),
  tableName: stringFromEnv('TABLE_NAME'),
});
