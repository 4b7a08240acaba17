import type { KeyItem } from '../model';
import { isExpired } from './expiry';

/**
 * Why a key cannot be rotated at `now`, or `undefined` when it can: only an active key that is
 * not expired and was not rotated already has a successor made for it. Every store enforces
 * this rule in the write itself, so that of two rotations of one key exactly one wins.
 */
export function rotationRefusal(
  key: Pick<KeyItem, 'status' | 'rotatedTo' | 'expiresAt'>,
  now: Date,
): string | undefined {
  if (key.status === 'revoked') return 'a revoked key cannot be rotated; enable it first';
  if (key.rotatedTo !== undefined) return `the key was already rotated to ${key.rotatedTo}`;
  if (isExpired(key.expiresAt, now)) return 'an expired key cannot be rotated';
  return undefined;
}

/** The refusal of a rotation whose condition failed for no reason {@link rotationRefusal} knows of. */
export const ROTATION_REFUSED = 'the key cannot be rotated in its current state';
