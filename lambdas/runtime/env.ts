/**
 * Reads a required setting from the environment when a Lambda module loads, failing loudly so a
 * misconfigured function never starts answering.
 */
export function stringFromEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value.trim() === '') {
    throw new Error(`environment variable ${name} is required and was not set`);
  }
  return value.trim();
}

/**
 * Reads a boolean setting (`true`/`false`) from the environment; without a fallback it is
 * required, as the settings the constructs always set are (their defaults live in `lib/settings.ts`).
 */
export function booleanFromEnv(name: string, fallback?: boolean): boolean {
  const value = process.env[name];
  if (value === undefined || value === '') {
    if (fallback === undefined) throw new Error(`environment variable ${name} is required and was not set`);
    return fallback;
  }
  if (value !== 'true' && value !== 'false') {
    throw new Error(`environment variable ${name} must be "true" or "false", received ${JSON.stringify(value)}`);
  }
  return value === 'true';
}

/** Reads a JSON setting from the environment. */
export function jsonFromEnv<T>(name: string): T {
  const text = stringFromEnv(name);
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`environment variable ${name} must hold JSON, received ${JSON.stringify(text.slice(0, 40))}`);
  }
}

/** Reads a required non-negative number setting from the environment. */
export function numberFromEnv(name: string): number {
  const text = stringFromEnv(name);
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`environment variable ${name} must be a number >= 0, received ${JSON.stringify(text)}`);
  }
  return value;
}
