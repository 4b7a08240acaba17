import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { ReconcileRequests } from '../core/plans/plan-reconciler';

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
