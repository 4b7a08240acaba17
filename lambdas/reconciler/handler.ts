import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { describeError, type Logger } from '../core/support/logger';
import type { PlanReconciler } from '../core/plans/plan-reconciler';

const requestSchema = z.strictObject({ tenantId: z.string().check(z.minLength(1), z.maxLength(64)) });

/**
 * The reconcile queue's consumer. Messages are handled in order; the first that fails stops
 * the batch (it and the rest are reported, so the FIFO order holds) and SQS redelivers it
 * after the visibility timeout: a throttled `UpdateUsagePlan` simply waits its turn.
 */
export function createReconcilerHandler(reconciler: PlanReconciler, logger: Logger) {
  return async (event: SQSEvent): Promise<SQSBatchResponse> => {
    const records = event.Records;
    for (let index = 0; index < records.length; index += 1) {
      const record = records[index];
      let tenantId: string;
      try {
        tenantId = requestSchema.parse(JSON.parse(record.body)).tenantId;
      } catch (error) {
        logger.error('malformed reconcile request dropped', { messageId: record.messageId, ...describeError(error) });
        continue;
      }
      try {
        const outcome = await reconciler.reconcile(tenantId);
        logger.info('plan reconciled', { tenantId, outcome });
      } catch (error) {
        logger.error('plan reconciliation failed; it will be retried', { tenantId, ...describeError(error) });
        return { batchItemFailures: records.slice(index).map((failed) => ({ itemIdentifier: failed.messageId })) };
      }
    }
    return { batchItemFailures: [] };
  };
}
