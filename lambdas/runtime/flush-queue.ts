import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { MAX_QUEUE_DELAY_SECONDS, type FlushQueue, type FlushRequest } from '../core/auth/cache';

/** {@link FlushQueue} on an SQS standard queue (the only kind with a delay per message). */
export class SqsFlushQueue implements FlushQueue {
  constructor(
    private readonly client: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(request: FlushRequest, delaySeconds: number): Promise<void> {
    const DelaySeconds = Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil(delaySeconds)));
    await this.client.send(
      new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(request), DelaySeconds }),
    );
  }
}
