import { handleFlushRequest, type FlushRequest, type SettlingFlushDeps } from './cache';

/**
 * The least time between two flushes of one flush consumer. `FlushStageAuthorizersCache` shares
 * the account's control-plane quota, 10 requests per second with a burst of 40, with every other
 * control-plane call (https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html):
 * with the event source's maximum concurrency of 2, the consumers flush each stage at most twice
 * a second however many revocations arrive, and a flush waits at most this long for its turn.
 */
export const FLUSH_PACE_MS = 1_000;

/** What {@link handleFlushBatch} needs beyond a single request's handling. */
export interface FlushBatchDeps extends SettlingFlushDeps {
  /** The least time between two flushes of this consumer; {@link FLUSH_PACE_MS} in AWS. */
  readonly paceMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** What one consumer remembers between batches (a warm Lambda keeps it): when its last flush began. */
export interface FlushMemory {
  lastFlushAt: number;
}

/** A fresh {@link FlushMemory}: no flush yet. */
export function flushMemory(): FlushMemory {
  return { lastFlushAt: -Infinity };
}

/** What became of one request of a batch. */
export type FlushOutcome = 'flushed' | 'covered' | 'requeued' | { readonly error: unknown };

/**
 * Carries out a batch of flush requests with one flush of every stage, however many are due: a
 * flush that begins at or after a request's `at` satisfies it, so the due requests share one,
 * and a request this consumer's last flush already satisfied needs none (`covered`). With any
 * `followUp` among them, one second flush is queued for the settle time later. Requests not yet
 * due are sent on, each on its own.
 *
 * @returns each request's outcome, in order; a failed flush fails every due request.
 */
export async function handleFlushBatch(
  requests: readonly FlushRequest[],
  deps: FlushBatchDeps,
  memory: FlushMemory,
): Promise<FlushOutcome[]> {
  const now = deps.clock().getTime();
  const outcomes: FlushOutcome[] = new Array<FlushOutcome>(requests.length);
  const due: number[] = [];
  for (const [index, request] of requests.entries()) {
    const at = Date.parse(request.at);
    if (Number.isNaN(at) || at <= now) {
      due.push(index);
      continue;
    }
    try {
      outcomes[index] = await handleFlushRequest(request, deps);
    } catch (error) {
      outcomes[index] = { error };
    }
  }
  if (due.length === 0) return outcomes;
  try {
    const latest = Math.max(...due.map((index) => Date.parse(requests[index].at)));
    if (Number.isNaN(latest)) throw new Error(`a flush request needs an ISO date in "at"`);
    const covered = latest <= memory.lastFlushAt;
    if (!covered) {
      const wait = memory.lastFlushAt + deps.paceMs - deps.clock().getTime();
      if (wait > 0) await deps.sleep(wait);
      const startedAt = deps.clock().getTime();
      await deps.flushNow();
      memory.lastFlushAt = startedAt;
    }
    if (due.some((index) => requests[index].followUp)) {
      // after every flush that satisfied these, so one in flight at it is cleared too.
      const again = new Date(deps.clock().getTime() + deps.settleMs);
      await deps.queue.send({ at: again.toISOString(), followUp: false }, Math.ceil(deps.settleMs / 1000));
    }
    for (const index of due) outcomes[index] = covered ? 'covered' : 'flushed';
  } catch (error) {
    for (const index of due) outcomes[index] = { error };
  }
  return outcomes;
}
