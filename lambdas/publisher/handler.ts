import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { publishBatch, type EventPublisher } from '../core/events/publish';

/**
 * The outbox publisher over the key table's stream: each batch's event inserts go to the
 * publisher in order; the first one not published is reported as the batch item failure, so
 * the event source mapping (with `ReportBatchItemFailures`) retries from it and, after its
 * retries, sends the batch to the dead-letter queue.
 */
export function createPublisherHandler(publisher: EventPublisher) {
  return async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => publishBatch(event.Records, publisher);
}
