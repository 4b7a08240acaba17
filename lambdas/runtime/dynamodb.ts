import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoIdempotencyStore } from '../core/dynamodb-idempotency';
import { DynamoKeyStore } from '../core/dynamodb-store';
import { documentClient } from './dynamodb-client';
import { stringFromEnv } from './env';

const client = documentClient(new DynamoDBClient({}));
const tableName = stringFromEnv('TABLE_NAME');

/** The process's one key store, over `TABLE_NAME`; created when the module loads. */
export const keyStore = new DynamoKeyStore({ client, tableName });

/** Where `Idempotency-Key` answers are kept: the same table, one item per key. */
export const idempotencyStore = new DynamoIdempotencyStore({ client, tableName });
