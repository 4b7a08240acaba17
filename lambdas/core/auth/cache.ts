import { createHash } from 'node:crypto';
import { describeError, type Logger } from '../support/logger';
import type { Clock } from '../support/clock';

/**
 * Empties the authorizer's result cache so that a revoked, deleted, rotated-out or suspended key
 * is refused on the very next request. In AWS: `FlushStageAuthorizersCache`; locally: the local
 * gateway's own cache.
 */
export interface AuthorizerCacheFlusher {
  /**
   * Flushes now, and makes sure that an authorization already in flight cannot leave a stale
   * answer behind: locally the cache refuses answers that began before the flush; in AWS a
   * second flush follows once every call in flight must have ended.
   */
  flush(): Promise<void>;
  /**
   * Flushes at a later time, when a key stops working without a write (a grace period's end).
   * Asking twice for the same `key` and `at` schedules one flush.
   */
  flushAt(at: Date, key: string): Promise<void>;
}

/**
 * Flushes after a write that has already happened: a failed flush must not turn that write into
 * an error, so it is logged, and the cache then expires on its own TTL.
 */
export async function flushAfterWrite(cache: AuthorizerCacheFlusher, logger: Logger): Promise<void> {
  try {
    await cache.flush();
  } catch (error) {
    logger.error('authorizer cache flush failed', describeError(error));
  }
}

/** For deployments with caching off, and for tests that do not look at caching. */
export const noCache: AuthorizerCacheFlusher = { flush: async () => undefined, flushAt: async () => undefined };

/** Schedules a flush at `key`'s new end of life, logging rather than failing a write already made. */
export async function flushLater(cache: AuthorizerCacheFlusher, at: Date, key: string, logger: Logger): Promise<void> {
  try {
    await cache.flushAt(at, key);
  } catch (error) {
    // the message the cache-flush alarm counts: a grace end not scheduled is a flush missed.
    logger.error('authorizer cache flush failed', {
      scheduledFor: at.toISOString(),
      keyId: key,
      ...describeError(error),
    });
  }
}

/** The longest delay a queued flush request can wait in one hop (SQS's `DelaySeconds` maximum). */
export const MAX_QUEUE_DELAY_SECONDS = 900;

/**
 * A request to flush the authorizer cache at `at`; with `followUp`, once more `settle` later, so
 * that an authorization in flight at `at` cannot leave an Allow behind.
 */
export interface FlushRequest {
  readonly at: string;
  readonly followUp: boolean;
}

/** Where flush requests wait until they are due: an SQS queue in AWS. */
export interface FlushQueue {
  /** Sends a request that becomes visible after `delaySeconds` (at most {@link MAX_QUEUE_DELAY_SECONDS}). */
  send(request: FlushRequest, delaySeconds: number): Promise<void>;
}

/**
 * Where a flush waits longer than one hop of the queue: a one-time EventBridge Scheduler schedule
 * in AWS, which sends the request to the flush queue when it is due.
 */
export interface FlushScheduler {
  /**
   * Sends `request` to the flush queue at `at` (to the second), under `name`: a name already
   * scheduled is left as it is, so asking twice schedules once.
   */
  schedule(name: string, at: Date, request: FlushRequest): Promise<void>;
}

/**
 * The schedule name of `key`'s flush at `at`: the same for the same key and time, so a repeated
 * request finds its schedule already there. Scheduler names are 1 to 64 of `[0-9a-zA-Z-_.]`; a
 * key id that does not fit is hashed.
 */
export function graceEndScheduleName(key: string, at: Date): string {
  const when = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const name = `${key}-${when}`;
  if (/^[0-9a-zA-Z._-]{1,64}$/.test(name)) return name;
  return `${createHash('sha256').update(key).digest('hex').slice(0, 40)}-${when}`;
}

/** What a {@link SettlingCacheFlusher} and {@link handleFlushRequest} need. */
export interface SettlingFlushDeps {
  /** Flushes the stage's cache now (`FlushStageAuthorizersCache`). */
  readonly flushNow: () => Promise<void>;
  readonly queue: FlushQueue;
  /**
   * How long after a flush every authorizer call that was in flight has surely ended: the
   * authorizer's timeout plus a margin. API Gateway caches whatever a call returns, even one
   * that began before a flush, so a second flush this long after the first clears it.
   */
  readonly settleMs: number;
  readonly clock: Clock;
}

/** What a {@link SettlingCacheFlusher} needs beyond the queue: a scheduler for far grace ends. */
export interface SettlingFlusherDeps extends SettlingFlushDeps {
  readonly scheduler: FlushScheduler;
}

/**
 * The AWS flusher: {@link AuthorizerCacheFlusher.flush} flushes at once (every authorization
 * that begins afterwards reads the new state) and queues a second flush after the settle time
 * (for calls already in flight). {@link AuthorizerCacheFlusher.flushAt} sends a request that
 * {@link handleFlushRequest} carries out when it is due: within one hop of the queue, as one
 * delayed message; further ahead (a grace period of up to a week), through one one-time
 * schedule named after the key and time, so a repeated request adds nothing.
 */
export class SettlingCacheFlusher implements AuthorizerCacheFlusher {
  constructor(private readonly deps: SettlingFlusherDeps) {
    if (!Number.isFinite(deps.settleMs) || deps.settleMs < 0 || deps.settleMs > MAX_QUEUE_DELAY_SECONDS * 1000) {
      throw new RangeError(`settleMs must be from 0 to ${MAX_QUEUE_DELAY_SECONDS * 1000}, received ${deps.settleMs}`);
    }
  }

  async flush(): Promise<void> {
    await this.deps.flushNow();
    const at = new Date(this.deps.clock().getTime() + this.deps.settleMs);
    await this.deps.queue.send({ at: at.toISOString(), followUp: false }, Math.ceil(this.deps.settleMs / 1000));
  }

  async flushAt(at: Date, key: string): Promise<void> {
    const request: FlushRequest = { at: at.toISOString(), followUp: true };
    const seconds = Math.ceil((at.getTime() - this.deps.clock().getTime()) / 1000);
    if (seconds <= MAX_QUEUE_DELAY_SECONDS) {
      // one message, no hop: cheaper than a schedule, and a repeat costs one flush more at most.
      await this.deps.queue.send(request, delayUntil(at, this.deps.clock()));
      return;
    }
    await this.deps.scheduler.schedule(graceEndScheduleName(key, at), at, request);
  }
}

/**
 * Carries out one queued flush request: sends it on again while it is not yet due (a schedule
 * fires within the minute of its time, possibly before the second), else flushes and, with `followUp`,
 * queues the second flush.
 *
 * @returns what was done, for logs and tests.
 */
export async function handleFlushRequest(
  request: FlushRequest,
  deps: SettlingFlushDeps,
): Promise<'flushed' | 'requeued'> {
  const at = new Date(request.at);
  if (Number.isNaN(at.getTime()))
    throw new Error(`a flush request needs an ISO date in "at", received ${JSON.stringify(request.at)}`);
  const delay = delayUntil(at, deps.clock());
  if (delay > 0) {
    await deps.queue.send(request, delay);
    return 'requeued';
  }
  await deps.flushNow();
  if (request.followUp) {
    const again = new Date(deps.clock().getTime() + deps.settleMs);
    await deps.queue.send({ at: again.toISOString(), followUp: false }, Math.ceil(deps.settleMs / 1000));
  }
  return 'flushed';
}

/** Whole seconds from `now` until `at`, rounded up and capped at one hop of the queue. */
function delayUntil(at: Date, now: Date): number {
  return Math.min(MAX_QUEUE_DELAY_SECONDS, Math.max(0, Math.ceil((at.getTime() - now.getTime()) / 1000)));
}
