import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DailyLastUse } from '../core/auth/last-use';
import { DynamoKeyStore } from '../core/store/dynamodb-store';
import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { aggregateAccessRecords } from '../core/usage/aggregate';
import { DynamoUsageStore } from '../core/usage/dynamodb-usage';
import { documentClient } from '../runtime/dynamodb-client';
import { numberFromEnv, stringFromEnv } from '../runtime/env';
import { ENV } from '../runtime/env-names';
import { createUsageHandler } from './handler';

const logger = jsonLogger({ function: 'usage' });
const client = documentClient(new DynamoDBClient({}));
const tableName = stringFromEnv(ENV.tableName);
const store = new DynamoUsageStore({ client, tableName });
// the authorizer's last-use write, from the access log: uses it never saw (cached, throttled) count.
const lastUse = new DailyLastUse(new DynamoKeyStore({ client, tableName }), logger);
const newSourceDays = numberFromEnv(ENV.newSourceDays);
const retention = {
  hourlyDays: numberFromEnv(ENV.usageHourlyRetentionDays),
  dailyDays: numberFromEnv(ENV.usageDailyRetentionDays),
};

/** The Lambda entry for the access log's subscription filter: lines in, usage counters out. */
export const handler = createUsageHandler({
  aggregate: (records) =>
    aggregateAccessRecords(records, { store, clock: systemClock, retention, newSourceDays, lastUse }),
  logger,
});
