import type { NoticeJob, NoticeRunResult } from '../lambdas/core/notices/notice-job';
import type { Clock } from '../lambdas/core/support/clock';
import { describeError, type Logger } from '../lambdas/core/support/logger';

/** The job runs five minutes after 00:00 UTC, as the stack's schedule does. */
const RUN_AFTER_MIDNIGHT_MS = 5 * 60_000;
/** The longest the timer sleeps: a clock moved (or a laptop woken) is noticed within the hour. */
const MAX_SLEEP_MS = 3_600_000;

/**
 * The local stand-in for the daily schedule: runs the notice job once at start (catching up the
 * days a stopped gateway missed) and then daily at 00:05 UTC by the gateway's clock. Each run is
 * a no-op when the day is done, so waking early or twice costs one read.
 */
export class LocalNotices {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly job: Pick<NoticeJob, 'run'>,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Runs now, then keeps the daily timer. */
  start(): void {
    void this.run().catch(() => undefined);
    this.schedule();
  }

  /** One run, after any under way; for tests, which call it instead of waiting for 00:05. */
  run(): Promise<NoticeRunResult> {
    const next = this.running.then(() => this.job.run());
    this.running = next.then(
      (result) =>
        this.logger.info('notices run', { days: result.days.join(','), written: JSON.stringify(result.written) }),
      (error: unknown) => this.logger.error('notices run failed', describeError(error)),
    );
    return next;
  }

  /** Stops the timer and waits for the run under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    await this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const now = this.clock().getTime();
    const today = now - (now % 86_400_000);
    const due =
      now < today + RUN_AFTER_MIDNIGHT_MS ? today + RUN_AFTER_MIDNIGHT_MS : today + 86_400_000 + RUN_AFTER_MIDNIGHT_MS;
    this.timer = setTimeout(
      () => {
        void this.run().catch(() => undefined);
        this.schedule();
      },
      Math.min(due - now, MAX_SLEEP_MS),
    );
    // the timer alone never keeps the process alive.
    this.timer.unref();
  }
}
