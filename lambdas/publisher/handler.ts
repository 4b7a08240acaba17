import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publishBatch, type EventPublisher } from '../core/events/publish';

/**
 * The outbox publisher over the key table's stream: each batch's event inserts go to the
 * publisher in order; the first record not published is reported as the batch item failure, so
 * the event source mapping (with `ReportBatchItemFailures`) retries from it, and when it is the
 * batch's first the invocation fails, so that `BisectBatchOnFunctionError` halves the batch
 * until the failing record is alone (see `publishBatch`).
 */
export function createPublisherHandler(publisher: EventPublisher) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => publishBatch(event.Records, publisher);
}
