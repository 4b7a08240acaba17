import { badRequest } from './usage-plan-patch';

/** A page size API Gateway takes when a request names none (its API reference: "The default value is 25"). */
const DEFAULT_LIMIT = 25;
/** The largest page API Gateway answers ("the maximum value is 500"). */
const MAX_LIMIT = 500;

/**
 * One page of `items` as API Gateway's list operations answer it: `limit` items (25 unless given,
 * at most 500) from `position`, and the `position` of the next page while there is one. The
 * position is opaque to callers, as API Gateway's is; one it did not hand out is refused.
 */
export function pageOf<T>(
  items: readonly T[],
  position: string | undefined,
  limit: number | undefined,
): { items: T[]; position?: string } {
  const size = Math.min(Math.max(limit ?? DEFAULT_LIMIT, 1), MAX_LIMIT);
  const start = position === undefined ? 0 : offsetOf(position);
  const next = start + size;
  return { items: items.slice(start, next), ...(next < items.length && { position: positionOf(next) }) };
}

function positionOf(offset: number): string {
  return Buffer.from(JSON.stringify({ offset }), 'utf8').toString('base64url');
}

function offsetOf(position: string): number {
  try {
    const { offset } = JSON.parse(Buffer.from(position, 'base64url').toString('utf8')) as { offset?: unknown };
    if (typeof offset === 'number' && Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // refused below, as any other position it did not hand out.
  }
  throw badRequest('Invalid position parameter');
}
