import { systemClock } from '../core/support/clock';
import { DynamoLeakStore } from '../core/leaks/dynamodb-leaks';
import { FetchedGithubKeys } from '../core/leaks/github';
import { LeakService, leakPolicyFrom } from '../core/leaks/leak-service';
import { jsonLogger } from '../core/support/logger';
import { stringFromEnv } from '../runtime/env';
import { ENV } from '../runtime/env-names';
import { documentDb, eventRetentionDays, keyStore, tableName } from '../runtime/dynamodb';
import { stageCache } from '../runtime/services';
import { settings } from '../runtime/settings';
import { corsOriginsFromEnv, withCors } from '../runtime/cors';
import { createLeaksHandler } from './handler';

const logger = jsonLogger({ function: 'leaks' });

/** The Lambda entry for `POST /v1/leaks/github` and `POST /v1/panel/leaks`. */
export const handler = withCors(
  createLeaksHandler({
    leaks: new LeakService({
      store: new DynamoLeakStore(keyStore, documentDb, tableName, eventRetentionDays),
      prefix: settings.keyPrefix,
      formats: settings.keyFormats,
      policy: leakPolicyFrom(stringFromEnv(ENV.onLeak), ENV.onLeak),
      clock: systemClock,
      cache: stageCache,
      logger,
    }),
    // GitHub's published keys, fetched from its meta endpoint and cached for the container's life.
    githubKeys: new FetchedGithubKeys(),
    logger,
  }),
  corsOriginsFromEnv(),
);
