import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { handleFlushRequest, type SettlingFlushDeps } from '../core/auth/cache';
import { describeError, type Logger } from '../core/support/logger';

const requestSchema = z.strictObject({ at: z.iso.datetime(), followUp: z.boolean() });

/**
 * The flush queue's consumer: each message is a {@link FlushRequest}, carried out when due and
 * sent on until then. A message that fails is reported alone and retried by SQS (then the
 * dead-letter queue); a malformed one is logged and dropped, since retrying cannot mend it.
 */
export function createCacheFlushHandler(deps: SettlingFlushDeps & { readonly logger: Logger }) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const record of event.Records) {
      let request;
      try {
        request = requestSchema.parse(JSON.parse(record.body));
      } catch (error) {
        deps.logger.error('malformed flush request dropped', { messageId: record.messageId, ...describeError(error) });
        continue;
      }
      try {
        const outcome = await handleFlushRequest(request, deps);
        deps.logger.info(outcome, { at: request.at, followUp: request.followUp });
      } catch (error) {
        deps.logger.error('authorizer cache flush failed', { messageId: record.messageId, ...describeError(error) });
        batchItemFailures.push({ itemIdentifier: record.messageId });
      }
    }
    return { batchItemFailures };
  };
}
