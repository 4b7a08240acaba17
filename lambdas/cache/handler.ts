import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import type { FlushRequest } from '../core/auth/cache';
import { flushMemory, handleFlushBatch, type FlushBatchDeps } from '../core/auth/flush-batch';
import { describeError, type Logger } from '../core/support/logger';

const requestSchema = z.strictObject({ at: z.iso.datetime(), followUp: z.boolean() });

/**
 * The flush queue's consumer: each message is a {@link FlushRequest}, and a batch is carried out
 * with one flush of every stage (`handleFlushBatch`), paced so the consumers stay within API
 * Gateway's control-plane quota; requests not yet due are sent on. A message whose flush or
 * sending on failed is reported, and retried by SQS (then the dead-letter queue); a malformed
 * one is logged and dropped, since retrying cannot mend it. The consumer remembers its last flush
 * across the batches a warm Lambda serves.
 */
export function createCacheFlushHandler(deps: FlushBatchDeps & { readonly logger: Logger }) {
  const memory = flushMemory();
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const records: { messageId: string; request: FlushRequest }[] = [];
    for (const record of event.Records) {
      try {
        records.push({ messageId: record.messageId, request: requestSchema.parse(JSON.parse(record.body)) });
      } catch (error) {
        deps.logger.error('malformed flush request dropped', { messageId: record.messageId, ...describeError(error) });
      }
    }
    const outcomes = await handleFlushBatch(
      records.map((record) => record.request),
      deps,
      memory,
    );
    const batchItemFailures: SQSBatchResponse['batchItemFailures'] = [];
    for (const [index, outcome] of outcomes.entries()) {
      const { messageId, request } = records[index];
      if (typeof outcome === 'string') {
        deps.logger.info(outcome, { at: request.at, followUp: request.followUp });
      } else {
        deps.logger.error('authorizer cache flush failed', { messageId, ...describeError(outcome.error) });
        batchItemFailures.push({ itemIdentifier: messageId });
      }
    }
    return { batchItemFailures };
  };
}
