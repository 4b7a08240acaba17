import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { aggregateAccessRecords } from '../core/usage/aggregate';
import { DynamoUsageStore } from '../core/usage/dynamodb-usage';
import { documentClient } from '../runtime/dynamodb-client';
import { numberFromEnv, stringFromEnv } from '../runtime/env';
import { ENV } from '../runtime/env-names';
import { createUsageHandler } from './handler';

const logger = jsonLogger({ function: 'usage' });
const store = new DynamoUsageStore({
  client: documentClient(new DynamoDBClient({})),
  tableName: stringFromEnv(ENV.tableName),
});
const newSourceDays = numberFromEnv(ENV.newSourceDays);
const retention = {
  hourlyDays: numberFromEnv(ENV.usageHourlyRetentionDays),
  dailyDays: numberFromEnv(ENV.usageDailyRetentionDays),
};

/** The Lambda entry for the access log's subscription filter: lines in, usage counters out. */
export const handler = createUsageHandler({
  aggregate: (records) => aggregateAccessRecords(records, { store, clock: systemClock, retention, newSourceDays }),
  logger,
});
