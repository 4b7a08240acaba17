import { KeyService } from '../core/keys/key-service';
import { DynamoNoticeStore, keyServiceRevoker } from '../core/notices/dynamodb-notices';
import { NoticeJob } from '../core/notices/notice-job';
import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import { documentDb, eventRetentionDays, keyStore, tableName } from '../runtime/dynamodb';
import { booleanFromEnv, numberFromEnv } from '../runtime/env';
import { ENV } from '../runtime/env-names';
import { keyServiceDeps } from '../runtime/services';
import { createNoticesHandler } from './handler';

const logger = jsonLogger({ function: 'notices' });
// the same guarded, transactional revoke as a person's, flushing the authorizer cache after.
const keys = new KeyService(keyServiceDeps(logger));

/** The Lambda entry for the daily schedule: expiry and staleness notices. */
export const handler = createNoticesHandler(
  new NoticeJob({
    store: new DynamoNoticeStore({
      client: documentDb,
      tableName,
      getKey: (id) => keyStore.getKey(id),
      eventRetentionDays,
    }),
    clock: systemClock,
    logger,
    staleAfterDays: numberFromEnv(ENV.staleAfterDays),
    revokeStaleKeys: booleanFromEnv(ENV.revokeStaleKeys),
    revoker: keyServiceRevoker(keys),
  }),
  logger,
);
