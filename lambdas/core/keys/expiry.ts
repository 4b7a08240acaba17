import type { Clock } from '../support/clock';

/** The `expiresInDays` values a key may be created with. */
export const EXPIRY_DAYS = [7, 30, 60, 90] as const;
/** One of {@link EXPIRY_DAYS}. */
export type ExpiryDays = (typeof EXPIRY_DAYS)[number];

/** When a key stops working, or that it never does. */
export interface Expiry {
  /** ISO instant at 00:00:00.000Z of the expiry date, or `null` for a key that never expires. */
  readonly expiresAt: string | null;
  /** `expiresAt` as epoch seconds for DynamoDB TTL, or `undefined` when the key never expires. */
  readonly ttl: number | undefined;
}

/** How a caller asked for expiry; at most one of the two fields is set. */
export interface ExpiryRequest {
  readonly expiresInDays?: ExpiryDays;
  readonly expiresOn?: string;
}

/** Thrown when an expiry request is not one the contract allows; the message says why. */
export class ExpiryError extends Error {
  constructor(
    message: string,
    /** The request field at fault. */
    readonly field: 'expiresInDays' | 'expiresOn',
  ) {
    super(message);
    this.name = 'ExpiryError';
  }
}

const DAY_MS = 86_400_000;

/** Midnight UTC at the start of the given instant's UTC day. */
export function startOfUtcDay(instant: Date): Date {
  return new Date(Date.UTC(instant.getUTCFullYear(), instant.getUTCMonth(), instant.getUTCDate()));
}

/**
 * Parses `YYYY-MM-DD` as a real calendar date (no 31 April, 29 February only in leap years).
 *
 * @returns midnight UTC of that date, or `undefined` when the text is not a real date.
 */
export function parseIsoDate(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (match === null) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  if (date.getUTCFullYear() !== year || date.getUTCMonth() !== month - 1 || date.getUTCDate() !== day) {
    return undefined;
  }
  return date;
}

/** Builds an {@link Expiry} for a key that stops working at the given instant. */
export function expiryAt(instant: Date | null): Expiry {
  if (instant === null) return { expiresAt: null, ttl: undefined };
  return { expiresAt: instant.toISOString(), ttl: Math.floor(instant.getTime() / 1000) };
}

/**
 * Resolves an expiry request against the clock: `expiresInDays: N` means the key stops at
 * midnight UTC starting day today+N; `expiresOn: D` means it stops at `D T00:00:00Z`, and D must
 * be after today (a key that would be dead on arrival is refused); neither means never.
 *
 * @throws ExpiryError for a bad day count, a malformed or past date, or both fields at once.
 */
export function resolveExpiry(request: ExpiryRequest, clock: Clock): Expiry {
  const { expiresInDays, expiresOn } = request;
  if (expiresInDays !== undefined && expiresOn !== undefined) {
    throw new ExpiryError('give expiresInDays or expiresOn, not both', 'expiresOn');
  }
  const today = startOfUtcDay(clock());
  if (expiresInDays !== undefined) {
    if (!(EXPIRY_DAYS as readonly number[]).includes(expiresInDays)) {
      throw new ExpiryError(`expiresInDays must be one of ${EXPIRY_DAYS.join(', ')}`, 'expiresInDays');
    }
    return expiryAt(new Date(today.getTime() + expiresInDays * DAY_MS));
  }
  if (expiresOn !== undefined) {
    const date = parseIsoDate(expiresOn);
    if (date === undefined) {
      throw new ExpiryError('expiresOn must be a real date in the form YYYY-MM-DD', 'expiresOn');
    }
    if (date.getTime() <= today.getTime()) {
      throw new ExpiryError('expiresOn must be a date after today (UTC)', 'expiresOn');
    }
    return expiryAt(date);
  }
  return expiryAt(null);
}

/** Whether a key with this `expiresAt` has stopped working at the clock's instant. */
export function isExpired(expiresAt: string | null | undefined, now: Date): boolean {
  return expiresAt !== null && expiresAt !== undefined && now.getTime() >= Date.parse(expiresAt);
}
