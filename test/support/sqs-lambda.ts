import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { Template } from 'aws-cdk-lib/assertions';

/**
 * How an SQS queue feeds a Lambda function, as the synthesized template says: what the
 * simulators below play, so that a behaviour test runs on the deployed numbers.
 */
export interface QueueFeed {
  readonly batchSize: number;
  readonly visibilityTimeoutMs: number;
  readonly maxReceiveCount: number;
  readonly functionTimeoutMs: number;
  readonly reportBatchItemFailures: boolean;
  /** `ScalingConfig.MaximumConcurrency`, if set. */
  readonly maximumConcurrency: number | undefined;
}

type Resource = { Properties: Record<string, any> };

/** Reads the {@link QueueFeed} of the queue `queueLogicalId` from a template. */
export function queueFeedOf(template: Template, queueLogicalId: string): QueueFeed {
  const resources = template.toJSON().Resources as Record<string, Resource & { Type: string }>;
  const queue = resources[queueLogicalId].Properties;
  const mapping = Object.values(resources).find(
    (resource) =>
      resource.Type === 'AWS::Lambda::EventSourceMapping' &&
      JSON.stringify(resource.Properties.EventSourceArn) === JSON.stringify({ 'Fn::GetAtt': [queueLogicalId, 'Arn'] }),
  );
  if (mapping === undefined) throw new Error(`no event source mapping reads ${queueLogicalId}`);
  const fn = resources[mapping.Properties.FunctionName.Ref].Properties;
  return {
    // Lambda's default batch size for SQS is 10; SQS's default visibility timeout is 30 s.
    batchSize: mapping.Properties.BatchSize ?? 10,
    visibilityTimeoutMs: (queue.VisibilityTimeout ?? 30) * 1000,
    maxReceiveCount: queue.RedrivePolicy.maxReceiveCount,
    functionTimeoutMs: (fn.Timeout ?? 3) * 1000,
    reportBatchItemFailures: (mapping.Properties.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
    maximumConcurrency: mapping.Properties.ScalingConfig?.MaximumConcurrency,
  };
}

/** Thrown by {@link FifoQueueSim.sleep} when the function would run past its timeout: Lambda stops it there. */
export class LambdaTimeout extends Error {
  constructor() {
    super('Task timed out');
  }
}

interface Message {
  readonly id: string;
  readonly body: string;
  readonly groupId: string;
  receiveCount: number;
  visibleAt: number;
}

/** SQS FIFO's deduplication interval. */
const DEDUPLICATION_MS = 5 * 60_000;

/**
 * An SQS FIFO queue feeding a Lambda function, on a clock the test owns, as SQS and Lambda
 * document it: a message sent again with a deduplication id seen in the last 5 minutes is
 * dropped; a message group gives nothing while one of its messages is in flight or waiting
 * out its visibility timeout; every message received in a batch has its receive count raised;
 * a message received more than `maxReceiveCount` times moves to the dead-letter queue; a
 * failed invocation (error or timeout) returns the whole batch, a partial batch response only
 * the messages it names, each after the visibility timeout.
 */
export class FifoQueueSim {
  readonly deadLetters: Message[] = [];
  /** Invocations of the function, how many failed, and the most times one message was received. */
  readonly stats = { invocations: 0, failedInvocations: 0, timeouts: 0, mostReceives: 0 };
  private readonly messages: Message[] = [];
  private readonly seen = new Map<string, number>();
  private deadline = Infinity;
  private timedOut = false;
  private sequence = 0;

  constructor(
    private readonly feed: QueueFeed,
    private readonly time: { now: number },
  ) {}

  /** `SendMessage` on the FIFO queue. */
  send(body: string, groupId: string, deduplicationId: string): void {
    const now = this.time.now;
    const last = this.seen.get(deduplicationId);
    if (last !== undefined && now - last < DEDUPLICATION_MS) return;
    this.seen.set(deduplicationId, now);
    this.sequence += 1;
    this.messages.push({ id: `m${this.sequence}`, body, groupId, receiveCount: 0, visibleAt: now });
  }

  /** Waits on the test's clock; past the function's timeout it stops the invocation, as Lambda does. */
  readonly sleep = async (ms: number): Promise<void> => {
    if (this.time.now + ms > this.deadline) {
      this.time.now = this.deadline;
      this.timedOut = true;
      throw new LambdaTimeout();
    }
    this.time.now += ms;
  };

  /** Messages not yet deleted nor dead-lettered. */
  get waiting(): number {
    return this.messages.length;
  }

  /**
   * Feeds the function until the queue is empty, moving the clock to each next visible message.
   *
   * @throws Error when it is not empty by `untilMs` on the test's clock.
   */
  async drain(handler: (event: SQSEvent) => Promise<SQSBatchResponse>, untilMs: number): Promise<void> {
    while (this.messages.length > 0) {
      const batch = this.receive();
      if (batch.length === 0) {
        if (this.messages.length === 0) break;
        const heads = this.messages.filter((message, index) =>
          this.messages.slice(0, index).every((before) => before.groupId !== message.groupId),
        );
        this.time.now = Math.max(this.time.now, Math.min(...heads.map((message) => message.visibleAt)));
        if (this.time.now > untilMs) throw new Error(`${this.messages.length} messages still waiting`);
        continue;
      }
      await this.invoke(handler, batch);
    }
  }

  /** The next batch: from the head of one group whose head is visible, in order. */
  private receive(): Message[] {
    const now = this.time.now;
    for (const head of this.messages) {
      const group = this.messages.filter((message) => message.groupId === head.groupId);
      if (group[0] !== head) continue;
      if (head.visibleAt > now) continue;
      if (head.receiveCount >= this.feed.maxReceiveCount) {
        this.messages.splice(this.messages.indexOf(head), 1);
        this.deadLetters.push(head);
        return this.receive();
      }
      const batch = group.slice(0, this.feed.batchSize).filter((message) => message.visibleAt <= now);
      for (const message of batch) {
        message.receiveCount += 1;
        this.stats.mostReceives = Math.max(this.stats.mostReceives, message.receiveCount);
      }
      return batch;
    }
    return [];
  }

  private async invoke(handler: (event: SQSEvent) => Promise<SQSBatchResponse>, batch: Message[]): Promise<void> {
    const receivedAt = this.time.now;
    for (const message of batch) message.visibleAt = receivedAt + this.feed.visibilityTimeoutMs;
    this.deadline = receivedAt + this.feed.functionTimeoutMs;
    this.timedOut = false;
    this.stats.invocations += 1;
    let failed: Set<string>;
    try {
      const response = await handler({
        Records: batch.map((message) => ({
          messageId: message.id,
          body: message.body,
          attributes: { ApproximateReceiveCount: String(message.receiveCount), MessageGroupId: message.groupId },
        })),
      } as unknown as SQSEvent);
      failed = this.feed.reportBatchItemFailures
        ? new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier))
        : new Set();
    } catch {
      failed = new Set(batch.map((message) => message.id));
    } finally {
      this.deadline = Infinity;
    }
    // a function stopped at its timeout returns nothing: the whole batch goes back.
    if (this.timedOut) {
      this.stats.timeouts += 1;
      failed = new Set(batch.map((message) => message.id));
    }
    if (failed.size > 0) this.stats.failedInvocations += 1;
    for (const message of batch) {
      if (!failed.has(message.id)) this.messages.splice(this.messages.indexOf(message), 1);
    }
  }
}

interface StandardMessage {
  readonly id: string;
  readonly body: string;
  receiveCount: number;
  visibleAt: number;
}

/**
 * An SQS standard queue feeding a Lambda function, on a clock the test owns: a message is
 * visible after its delay; Lambda runs up to `maximumConcurrency` invocations at once (five
 * without it, where Lambda starts polling a standard queue), each with up to `batchSize` visible
 * messages; a failed message comes back after the visibility timeout, and goes to the
 * dead-letter queue after `maxReceiveCount` receives. Invocations are played one after another,
 * each from the moment its consumer is free, so calls of two consumers may interleave on the
 * clock; a rate limiter under test must only ever move its own clock forward.
 */
export class StandardQueueSim {
  readonly deadLetters: StandardMessage[] = [];
  private readonly messages: StandardMessage[] = [];
  private sequence = 0;

  constructor(
    private readonly feed: QueueFeed,
    private readonly time: { now: number },
  ) {}

  /** `SendMessage` with `DelaySeconds`. */
  send(body: string, delaySeconds = 0): void {
    this.sequence += 1;
    this.messages.push({
      id: `m${this.sequence}`,
      body,
      receiveCount: 0,
      visibleAt: this.time.now + delaySeconds * 1000,
    });
  }

  /**
   * Feeds the consumers (one handler each: a warm Lambda keeps its memory) until the queue is
   * empty.
   */
  async drain(consumers: readonly ((event: SQSEvent) => Promise<SQSBatchResponse>)[]): Promise<void> {
    const slots = this.feed.maximumConcurrency ?? 5;
    if (consumers.length < slots) throw new Error(`give ${slots} consumers, one per concurrent invocation`);
    const freeAt = new Array<number>(slots).fill(this.time.now);
    while (this.messages.length > 0) {
      const next = Math.min(...this.messages.map((message) => message.visibleAt));
      const slot = freeAt.indexOf(Math.min(...freeAt));
      const start = Math.max(freeAt[slot], next);
      this.time.now = start;
      const batch = this.messages.filter((message) => message.visibleAt <= start).slice(0, this.feed.batchSize);
      for (const message of batch) {
        message.receiveCount += 1;
        message.visibleAt = start + this.feed.visibilityTimeoutMs;
      }
      let failed: Set<string>;
      try {
        const response = await consumers[slot]({
          Records: batch.map((message) => ({ messageId: message.id, body: message.body })),
        } as unknown as SQSEvent);
        failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
      } catch {
        failed = new Set(batch.map((message) => message.id));
      }
      freeAt[slot] = this.time.now;
      for (const message of batch) {
        const gone = !failed.has(message.id) || message.receiveCount >= this.feed.maxReceiveCount;
        if (!gone) continue;
        this.messages.splice(this.messages.indexOf(message), 1);
        if (failed.has(message.id)) this.deadLetters.push(message);
      }
    }
  }
}
