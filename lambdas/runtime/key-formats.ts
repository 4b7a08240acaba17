import { assertValidKeyFormat, type KeyFormat } from '../core/keys/format';

/**
 * The key formats a function accepts, the one new keys are minted in first, from a JSON list in
 * `name`; `undefined` when the variable is absent (the default format under the key prefix).
 *
 * @throws Error naming the variable when it holds anything but a non-empty list of valid formats:
 *   the function fails to load rather than accept keys it was not configured for.
 */
export function keyFormatsFromEnv(name: string): readonly KeyFormat[] | undefined {
  const text = process.env[name];
  if (text === undefined || text === '') return undefined;
  let formats: unknown;
  try {
    formats = JSON.parse(text);
  } catch {
    throw new Error(`environment variable ${name} must hold a JSON list of key formats`);
  }
  if (!Array.isArray(formats) || formats.length === 0) {
    throw new Error(`environment variable ${name} must hold a non-empty list of key formats`);
  }
  for (const format of formats) assertValidKeyFormat(format);
  return Object.freeze(formats as KeyFormat[]);
}
