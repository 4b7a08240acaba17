import { describeError, type Logger } from '../lambdas/core/support/logger';
import type { PlanReconciler, ReconcileRequests } from '../lambdas/core/plans/plan-reconciler';

/**
 * The plan reconciler's queue in local mode, in process: requests run one at a time (as the
 * SQS FIFO queue runs them in AWS), a tenant already waiting is not queued twice, and a failed
 * run is retried after `retryMs`, as SQS redelivers a message after its visibility timeout.
 */
export class LocalReconcileQueue implements ReconcileRequests {
  private readonly waiting: string[] = [];
  private running: Promise<void> | undefined;
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    private readonly reconciler: PlanReconciler,
    private readonly logger: Logger,
    private readonly retryMs = 1_000,
  ) {}

  async request(tenantId: string): Promise<void> {
    if (this.stopped) return;
    if (!this.waiting.includes(tenantId)) this.waiting.push(tenantId);
    this.kick();
  }

  /** Starts a drain unless one runs. */
  private kick(): void {
    if (this.running !== undefined || this.stopped) return;
    this.running = this.drain().finally(() => {
      this.running = undefined;
      // a request that came as the drain found its queue empty saw it still running and left its
      // tenant waiting: serve it now, or it would wait for the next request to come along.
      if (this.waiting.length > 0) this.kick();
    });
  }

  /** Resolves once nothing is queued, running or waiting for a retry; for tests and shutdown. */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.timers.size > 0) {
      await (this.running ?? new Promise((resolve) => setTimeout(resolve, 5)));
    }
  }

  /** Drops what is queued and stops retrying. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async drain(): Promise<void> {
    for (let tenantId = this.waiting.shift(); tenantId !== undefined; tenantId = this.waiting.shift()) {
      try {
        await this.reconciler.reconcile(tenantId);
      } catch (error) {
        this.logger.error('plan reconciliation failed; retrying', { tenantId, ...describeError(error) });
        const retry = tenantId;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.request(retry);
        }, this.retryMs);
        this.timers.add(timer);
      }
    }
  }
}
