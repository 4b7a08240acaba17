import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SettlingCacheFlusher } from '../../lambdas/core/auth/cache';
import type { Clock } from '../../lambdas/core/support/clock';
import type { StageCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { SqsFlushQueue } from '../../lambdas/runtime/flush-queue';
import { SchedulerFlushScheduler, type FlushScheduleTarget } from '../../lambdas/runtime/flush-scheduler';

/** The queue URL the test flushers send to; mock `SQSClient` to see what was sent. */
export const TEST_FLUSH_QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/keygate-flush';

/** Where the test flushers schedule grace ends; mock `SchedulerClient` to see what was scheduled. */
export const TEST_FLUSH_SCHEDULE: FlushScheduleTarget = {
  groupName: 'keygate-flushes',
  queueArn: 'arn:aws:sqs:eu-west-1:123456789012:keygate-flush',
  roleArn: 'arn:aws:iam::123456789012:role/keygate-flush-schedule',
  deadLetterArn: 'arn:aws:sqs:eu-west-1:123456789012:keygate-flush-dead-letters',
};

/**
 * The flusher the Lambdas build, over a stage flusher, an SQS flush queue and EventBridge
 * Scheduler (mock the three clients).
 */
export function settlingFlusher(stage: StageCacheFlusher, clock: Clock, settleMs = 10_000): SettlingCacheFlusher {
  return new SettlingCacheFlusher({
    flushNow: () => stage.flush(),
    queue: new SqsFlushQueue(new SQSClient({ region: 'eu-west-1' }), TEST_FLUSH_QUEUE_URL),
    scheduler: new SchedulerFlushScheduler(new SchedulerClient({ region: 'eu-west-1' }), () => TEST_FLUSH_SCHEDULE),
    settleMs,
    clock,
  });
}
