import { CreateScheduleCommand, type SchedulerClient } from '@aws-sdk/client-scheduler';
import type { FlushRequest, FlushScheduler } from '../core/auth/cache';

/** Where a {@link SchedulerFlushScheduler}'s schedules go and what they may do. */
export interface FlushScheduleTarget {
  /** The stack's schedule group, the only one the function may create schedules in. */
  readonly groupName: string;
  /** The flush queue's ARN. */
  readonly queueArn: string;
  /** The role EventBridge Scheduler assumes to send to the flush queue. */
  readonly roleArn: string;
  /** Where a request the scheduler could not deliver is kept: the flush dead-letter queue. */
  readonly deadLetterArn: string;
}

/**
 * {@link FlushScheduler} on EventBridge Scheduler: one one-time schedule (`at(…)`, UTC) that sends
 * the request to the flush queue and deletes itself once it has (`ActionAfterCompletion: DELETE`),
 * the way AWS documents to run something once at a time further ahead than SQS's 15-minute delay:
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time and
 * https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html.
 * `CreateSchedule` refuses a name that its group already holds with a `ConflictException`
 * (https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html): that
 * schedule is this one, asked for again, so the refusal is success.
 */
export class SchedulerFlushScheduler implements FlushScheduler {
  constructor(
    private readonly client: SchedulerClient,
    private readonly target: () => FlushScheduleTarget,
  ) {}

  async schedule(name: string, at: Date, request: FlushRequest): Promise<void> {
    const target = this.target();
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: name,
          GroupName: target.groupName,
          ScheduleExpression: `at(${atExpression(at)})`,
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          Description: 'keygate: flush the authorizer cache when a rotated-out key stops working',
          Target: {
            Arn: target.queueArn,
            RoleArn: target.roleArn,
            Input: JSON.stringify(request),
            // past the scheduler's retries, kept with the failed flushes, under the same alarm.
            DeadLetterConfig: { Arn: target.deadLetterArn },
          },
        }),
      );
    } catch (error) {
      if (error instanceof Error && error.name === 'ConflictException') return;
      throw error;
    }
  }
}

/**
 * `yyyy-mm-ddThh:mm:ss` in UTC, rounded up to the second: never before `at`. Scheduler fires
 * within the minute, possibly early; the flush consumer sends an early request on for the rest.
 */
function atExpression(at: Date): string {
  return new Date(Math.ceil(at.getTime() / 1000) * 1000).toISOString().slice(0, 19);
}
