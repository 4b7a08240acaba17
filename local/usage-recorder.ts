import { parseAccessRecord, type AccessRecord } from '../lambdas/core/usage/access-record';
import type { Logger } from '../lambdas/core/support/logger';
import { describeError } from '../lambdas/core/support/logger';

/** What the recorder needs. */
export interface UsageRecorderProps {
  /** Counts a batch: the aggregator, over the local table. */
  readonly aggregate: (records: readonly AccessRecord[]) => Promise<unknown>;
  readonly logger: Logger;
  /** A batch goes at least this often while records wait. @default 1000 */
  readonly flushEveryMs?: number;
  /** A batch goes at once when this many records wait. @default 500 */
  readonly maxBatch?: number;
  /** Records kept waiting while the table is unreachable; the oldest go first past it. @default 50000 */
  readonly maxWaiting?: number;
}

/**
 * The local stand-in for the access log's subscription: the gateway hands it each request's
 * access log line, and it feeds the lines, parsed as on AWS, to the aggregator in batches (every
 * second, or sooner when many wait). A request never waits on it and never fails because of it:
 * a batch that fails stays queued for the next try, and the aggregator counts a batch it sees
 * twice once.
 */
export class UsageRecorder {
  private waiting: AccessRecord[] = [];
  private failed: AccessRecord[] | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private readonly flushEveryMs: number;
  private readonly maxBatch: number;
  private readonly maxWaiting: number;

  constructor(private readonly props: UsageRecorderProps) {
    this.flushEveryMs = props.flushEveryMs ?? 1000;
    this.maxBatch = props.maxBatch ?? 500;
    this.maxWaiting = props.maxWaiting ?? 50_000;
  }

  /** Takes one access log line; never throws. */
  record(line: string): void {
    const record = parseAccessRecord(line);
    if (record === undefined) return;
    this.waiting.push(record);
    if (this.waiting.length > this.maxWaiting) {
      const dropped = this.waiting.length - this.maxWaiting;
      this.waiting.splice(0, dropped);
      this.props.logger.warn('usage records dropped: the table is not keeping up', { dropped });
    }
    if (this.waiting.length >= this.maxBatch) void this.flush();
  }

  /** Starts the periodic flush. */
  start(): void {
    this.timer ??= setInterval(() => void this.flush(), this.flushEveryMs);
    this.timer.unref();
  }

  /** Counts everything recorded so far (one batch after another); resolves even when a batch fails. */
  flush(): Promise<void> {
    this.running = this.running.then(async () => {
      for (;;) {
        // a failed batch is tried again exactly as it was: the same records make the same batch
        // id, so whatever part of it was written before is not counted twice.
        const batch = this.failed ?? this.waiting.splice(0, this.maxBatch);
        if (batch.length === 0) return;
        try {
          await this.props.aggregate(batch);
          this.failed = undefined;
        } catch (error) {
          this.failed = batch;
          this.props.logger.warn('usage batch failed; kept for the next try', describeError(error));
          return;
        }
      }
    });
    return this.running;
  }

  /** Stops the timer and counts what is left. */
  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
