import type { CloudWatchLogsEvent } from 'aws-lambda';
import { parseAccessRecord, type AccessRecord } from '../core/usage/access-record';
import type { AggregateResult } from '../core/usage/aggregate';
import { dataLogEvents, type SubscriptionLogEvent } from '../core/usage/log-subscription';
import { describeError, type Logger } from '../core/support/logger';

/** What the usage handler needs: the aggregator, bound to its store and clock, and a logger. */
export interface UsageHandlerDeps {
  readonly aggregate: (records: readonly AccessRecord[]) => Promise<AggregateResult>;
  readonly logger: Logger;
}

/** What one delivered batch came to. */
export interface UsageBatchSummary {
  /** Log events delivered (none for a control message). */
  readonly lines: number;
  /** Lines that were not access records: skipped, never failing the batch. */
  readonly skipped: number;
  /** Records counted, after repeats inside the batch. */
  readonly counted: number;
  /** Whether the whole batch had been counted before (a redelivery). */
  readonly duplicate: boolean;
  /** Counter and source items written. */
  readonly writes: number;
}

/** How many skipped lines a log line names by event id: enough to find them, never the lines themselves. */
const NAMED_SKIPS = 5;

/**
 * The access log subscription's target: decodes the batch, reads each line as an access record
 * (with its log event's id, so a redelivered line is known again) and counts them in one
 * aggregation. A line that is not a record is skipped and counted in a log line; its batch goes
 * on. A batch that cannot be decoded, or whose counters cannot be written, fails the invocation:
 * CloudWatch Logs invokes asynchronously, so Lambda retries it twice and then keeps it on the
 * dead-letter queue, and since the aggregator is idempotent a retry or a replay counts it once.
 */
export function createUsageHandler(deps: UsageHandlerDeps) {
  return async (event: CloudWatchLogsEvent): Promise<UsageBatchSummary> => {
    let batch: { readonly logGroup: string; readonly logEvents: readonly SubscriptionLogEvent[] };
    try {
      batch = dataLogEvents(event);
    } catch (error) {
      deps.logger.error('usage batch not readable', describeError(error));
      throw error;
    }
    const records: AccessRecord[] = [];
    const skipped: SubscriptionLogEvent[] = [];
    for (const logEvent of batch.logEvents) {
      const record = parseAccessRecord(logEvent.message);
      if (record === undefined) skipped.push(logEvent);
      else records.push({ ...record, eventId: logEvent.id });
    }
    if (skipped.length > 0) {
      deps.logger.warn('usage lines skipped', {
        logGroup: batch.logGroup,
        skipped: skipped.length,
        eventIds: skipped.slice(0, NAMED_SKIPS).map((logEvent) => logEvent.id),
      });
    }
    const lines = batch.logEvents.length;
    if (records.length === 0) return { lines, skipped: skipped.length, counted: 0, duplicate: false, writes: 0 };
    let result: AggregateResult;
    try {
      result = await deps.aggregate(records);
    } catch (error) {
      deps.logger.error('usage batch not counted', { logGroup: batch.logGroup, lines, ...describeError(error) });
      throw error;
    }
    const summary = {
      lines,
      skipped: skipped.length,
      counted: result.records,
      duplicate: result.duplicate,
      writes: result.writes,
    };
    deps.logger.info('usage batch counted', { logGroup: batch.logGroup, ...summary });
    return summary;
  };
}
