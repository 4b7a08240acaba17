import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ReconcileRequests } from '../core/plans/plan-reconciler';
import type { BackoffOptions } from '../core/support/retry';

/**
 * {@link ReconcileRequests} on an SQS FIFO queue. One message group for the whole deployment:
 * `UpdateUsagePlan` is limited per account, so reconciliations run strictly one at a time; the
 * deduplication id (tenant and generation) collapses a change requested twice.
 */
export class SqsReconcileQueue implements ReconcileRequests {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async request(tenantId: string, generation: number | string): Promise<void> {
    await this.client.send(
      new SendMessageCommand({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify({ tenantId }),
        MessageGroupId: 'usage-plans',
        MessageDeduplicationId: `${tenantId}:${generation}`,
      }),
    );
  }
}

/**
 * How the reconciler retries a throttled control-plane call within one delivery: `UpdateUsagePlan`
 * allows one call every 20 s per account
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), so the waits are
 * sized to that window, with equal jitter (each wait at least half its step): the third try
 * comes at least 33 s after the first, past the window another run of ours may have opened.
 * The reconciler function's timeout leaves room for both waits (at most 66 s).
 */
export function reconcilerBackoff(random: () => number = Math.random): BackoffOptions {
  return { attempts: 3, baseMs: 22_000, random: () => 0.5 + random() / 2 };
}
