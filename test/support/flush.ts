import { SQSClient } from '@aws-sdk/client-sqs';
import { SettlingCacheFlusher } from '../../lambdas/core/auth/cache';
import type { Clock } from '../../lambdas/core/support/clock';
import type { StageCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { SqsFlushQueue } from '../../lambdas/runtime/flush-queue';

/** The queue URL the test flushers send to; mock `SQSClient` to see what was sent. */
export const TEST_FLUSH_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keygate-flush';

/** The flusher the Lambdas build, over a stage flusher and an SQS flush queue (mock both clients). */
export function settlingFlusher(stage: StageCacheFlusher, clock: Clock, settleMs = 10_000): SettlingCacheFlusher {
  return new SettlingCacheFlusher({
    flushNow: () => stage.flush(),
    queue: new SqsFlushQueue(new SQSClient({ region: 'eu-west-1' }), TEST_FLUSH_QUEUE_URL),
    settleMs,
    clock,
  });
}
