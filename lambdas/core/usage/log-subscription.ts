import { gunzipSync } from 'node:zlib';

/**
 * What a CloudWatch Logs subscription filter sends a Lambda: `{"awslogs": {"data"}}`, the data a
 * gzip of one JSON message, base64-encoded. A `DATA_MESSAGE` carries log events of one log
 * stream; a `CONTROL_MESSAGE` only checks that the destination is reachable and carries none to
 * count. Formats: https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/SubscriptionFilters.html
 * (the Lambda example), https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/ValidateLogEventFlow.html
 * (the message's fields and its two types), and AWS's recorded sample in
 * https://docs.aws.amazon.com/powertools/typescript/2.16.0/api/types/_aws-lambda-powertools_parser.types.CloudWatchLogsEvent.html.
 */
export interface SubscriptionMessage {
  /** `DATA_MESSAGE` or `CONTROL_MESSAGE`. */
  readonly messageType: string;
  /** The account the log group belongs to. */
  readonly owner: string;
  readonly logGroup: string;
  readonly logStream: string;
  /** The names of the filters that matched. */
  readonly subscriptionFilters: readonly string[];
  readonly logEvents: readonly SubscriptionLogEvent[];
}

/** One log line as delivered: its id is unique and stable, so a redelivered line is known again. */
export interface SubscriptionLogEvent {
  readonly id: string;
  /** When the line was written, epoch milliseconds. */
  readonly timestamp: number;
  /** The line itself: for an access log, the JSON object of the stage's access log format. */
  readonly message: string;
}

/** An event that is not a CloudWatch Logs subscription event, or whose data cannot be read. */
export class SubscriptionEventError extends Error {
  override readonly name = 'SubscriptionEventError';
}

/**
 * The most decompressed bytes read from one event. A subscription batch holds at most what one
 * `PutLogEvents` call may (1 MiB of events plus their overhead); the cap only stops a malformed
 * or hostile payload from inflating without bound.
 */
const MAX_DECOMPRESSED_BYTES = 8 * 1024 * 1024;

/**
 * Decodes a subscription event: base64, then gunzip, then JSON, with the fields checked.
 *
 * @throws SubscriptionEventError when the event is not one, its data is not base64 gzip, or the
 *   message lacks a field: nothing in such an event can be counted, and retrying cannot help.
 */
export function decodeSubscriptionEvent(event: unknown): SubscriptionMessage {
  const data = (event as { awslogs?: { data?: unknown } } | null)?.awslogs?.data;
  if (typeof data !== 'string' || data === '') {
    throw new SubscriptionEventError('not a CloudWatch Logs subscription event: no awslogs.data');
  }
  let text: string;
  try {
    text = gunzipSync(Buffer.from(data, 'base64'), { maxOutputLength: MAX_DECOMPRESSED_BYTES }).toString('utf8');
  } catch (error) {
    throw new SubscriptionEventError(`awslogs.data is not base64 gzip: ${(error as Error).message}`, { cause: error });
  }
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch (error) {
    throw new SubscriptionEventError('awslogs.data does not hold JSON', { cause: error });
  }
  return checked(message);
}

/**
 * The log events of a subscription event that are data to count: none for a control message.
 *
 * @throws SubscriptionEventError as {@link decodeSubscriptionEvent} does.
 */
export function dataLogEvents(event: unknown): {
  readonly logGroup: string;
  readonly logEvents: readonly SubscriptionLogEvent[];
} {
  const message = decodeSubscriptionEvent(event);
  return { logGroup: message.logGroup, logEvents: message.messageType === 'DATA_MESSAGE' ? message.logEvents : [] };
}

function checked(value: unknown): SubscriptionMessage {
  const message = value as Record<string, unknown> | null;
  if (typeof message !== 'object' || message === null) throw new SubscriptionEventError('the message is not an object');
  for (const field of ['messageType', 'owner', 'logGroup', 'logStream'] as const) {
    if (typeof message[field] !== 'string') throw new SubscriptionEventError(`the message has no ${field}`);
  }
  const filters = message.subscriptionFilters;
  if (!Array.isArray(filters) || !filters.every((name) => typeof name === 'string')) {
    throw new SubscriptionEventError('the message has no subscriptionFilters list');
  }
  const events = message.logEvents;
  if (!Array.isArray(events)) throw new SubscriptionEventError('the message has no logEvents list');
  events.forEach((event: unknown, index) => {
    const { id, timestamp, message: line } = (event ?? {}) as Record<string, unknown>;
    if (typeof id !== 'string' || typeof timestamp !== 'number' || typeof line !== 'string') {
      throw new SubscriptionEventError(`logEvents[${index}] is not {id, timestamp, message}`);
    }
  });
  return message as unknown as SubscriptionMessage;
}
