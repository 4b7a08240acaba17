import { describeError, type Logger } from '../lambdas/core/support/logger';
import type { PlanReconciler, ReconcileRequests } from '../lambdas/core/plans/plan-reconciler';

/** How {@link LocalReconcileQueue} retries and how long {@link LocalReconcileQueue.idle} waits. */
export interface LocalReconcileQueueOptions {
  /** The pause before a failed run is tried again. @default 1000 ms */
  readonly retryMs?: number;
  /** How many failures in a row make a tenant stuck for {@link LocalReconcileQueue.idle}. @default 5 */
  readonly failuresBeforeStuck?: number;
  /**
   * How long one run may go before {@link LocalReconcileQueue.idle} reports it stuck (a call that
   * never answers); a run takes well under a second locally. @default 20 s
   */
  readonly runTimeoutMs?: number;
}

/** {@link LocalReconcileQueue.idle} gave up: a tenant's reconciliation keeps failing or never settles. */
export class ReconcileStuckError extends Error {
  constructor(
    readonly tenantId: string,
    reason: string,
    readonly lastError: unknown,
  ) {
    super(
      `plan reconciliation of tenant ${tenantId} ${reason}` +
        (lastError === undefined ? '' : `; last error: ${errorText(lastError)}`),
    );
    this.name = 'ReconcileStuckError';
  }
}

/** A tenant whose last runs failed. */
interface Failing {
  readonly failures: number;
  readonly lastError: unknown;
}

/**
 * The plan reconciler's queue in local mode, in process: requests run one at a time (as the
 * SQS FIFO queue runs them in AWS), a tenant already waiting is not queued twice, and a failed
 * run is retried after `retryMs`, as SQS redelivers a message after its visibility timeout.
 */
export class LocalReconcileQueue implements ReconcileRequests {
  private readonly waiting: string[] = [];
  private running: Promise<void> | undefined;
  /** The tenant being reconciled and since when (ms since the epoch). */
  private current: { readonly tenantId: string; readonly since: number } | undefined;
  private readonly failing = new Map<string, Failing>();
  private timers = new Set<NodeJS.Timeout>();
  private stopped = false;
  private readonly retryMs: number;
  private readonly failuresBeforeStuck: number;
  private readonly runTimeoutMs: number;

  constructor(
    private readonly reconciler: PlanReconciler,
    private readonly logger: Logger,
    options: LocalReconcileQueueOptions = {},
  ) {
    this.retryMs = options.retryMs ?? 1_000;
    this.failuresBeforeStuck = options.failuresBeforeStuck ?? 5;
    this.runTimeoutMs = options.runTimeoutMs ?? 20_000;
  }

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

  /**
   * Resolves once nothing is queued, running or waiting for a retry; for tests and shutdown.
   *
   * @throws ReconcileStuckError naming the tenant and its last error when a tenant has failed
   * `failuresBeforeStuck` times in a row, or when one run is still going after `runTimeoutMs`
   * (a call that never answers): a wait that could never end reports why instead.
   */
  async idle(): Promise<void> {
    while (this.running !== undefined || this.timers.size > 0) {
      const stuck = this.stuck();
      if (stuck !== undefined) throw stuck;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 5);
        void this.running?.finally(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Drops what is queued and stops retrying. */
  stop(): void {
    this.stopped = true;
    this.waiting.length = 0;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /** Why waiting for the queue is pointless now, if it is. */
  private stuck(): ReconcileStuckError | undefined {
    for (const [tenantId, { failures, lastError }] of this.failing) {
      if (failures >= this.failuresBeforeStuck)
        return new ReconcileStuckError(tenantId, `failed ${failures} times in a row`, lastError);
    }
    if (this.current === undefined) return undefined;
    const { tenantId, since } = this.current;
    const ran = Date.now() - since;
    if (ran < this.runTimeoutMs) return undefined;
    return new ReconcileStuckError(tenantId, `is still running after ${ran} ms`, this.failing.get(tenantId)?.lastError);
  }

  private async drain(): Promise<void> {
    for (let tenantId = this.waiting.shift(); tenantId !== undefined; tenantId = this.waiting.shift()) {
      this.current = { tenantId, since: Date.now() };
      try {
        await this.reconciler.reconcile(tenantId);
        this.failing.delete(tenantId);
      } catch (error) {
        const failures = (this.failing.get(tenantId)?.failures ?? 0) + 1;
        this.failing.set(tenantId, { failures, lastError: error });
        this.logger.error('plan reconciliation failed; retrying', {
          tenantId,
          attempt: failures,
          retryInMs: this.retryMs,
          ...describeError(error),
        });
        if (this.stopped) continue;
        const retry = tenantId;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          void this.request(retry);
        }, this.retryMs);
        this.timers.add(timer);
      } finally {
        this.current = undefined;
      }
    }
  }
}

/** An error's name and message, for a report. */
function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
