import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoIdempotencyStore } from '../core/store/dynamodb-idempotency';
import { DynamoKeyStore } from '../core/store/dynamodb-store';
import { DynamoEventReader } from '../core/events/dynamodb-events';
import { DynamoUsageStore } from '../core/usage/dynamodb-usage';
import { DynamoSignInCodes } from '../core/sessions/dynamodb-sign-in-codes';
import { DynamoSessionStore } from '../core/sessions/dynamodb-sessions';
import { documentClient } from './dynamodb-client';
import { numberFromEnv, stringFromEnv } from './env';
import { ENV } from './env-names';

/** The process's one document client. */
export const documentDb = documentClient(new DynamoDBClient({}));
/** The key table, from `TABLE_NAME`. */
export const tableName = stringFromEnv(ENV.tableName);

/** How long event items are kept, from `EVENT_RETENTION_DAYS` (`keygate:eventRetentionDays`), which every function that writes gets. */
export const eventRetentionDays = numberFromEnv(ENV.eventRetentionDays);

/** The process's one key store, over `TABLE_NAME`; created when the module loads. */
export const keyStore = new DynamoKeyStore({ client: documentDb, tableName, eventRetentionDays });

/** Where `Idempotency-Key` answers are kept: the same table, one item per key. */
export const idempotencyStore = new DynamoIdempotencyStore({ client: documentDb, tableName });

/** Where sessions live: the same table, one item per session. */
export const sessionStore = new DynamoSessionStore({ client: documentDb, tableName, eventRetentionDays });

/** Where the console's one-time sign-in codes live: the same table, one item per code. */
export const signInCodes = new DynamoSignInCodes({ client: documentDb, tableName, eventRetentionDays });

/** The audit trail's reader over the same table and client. */
export const eventReader = new DynamoEventReader(documentDb, tableName);

/** The usage counters the access log aggregator writes and the usage routes read: the same table. */
export const usageStore = new DynamoUsageStore({ client: documentDb, tableName });
