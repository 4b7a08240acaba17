/** Fields of a log line; never put a key, its secret half or an Authorization value here. */
export type LogFields = Record<string, unknown>;

/** The logging seam: Lambdas write JSON lines to stdout, tests pass a recorder. */
export interface Logger {
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
}

/**
 * A logger that writes one JSON object per line, the shape CloudWatch Logs Insights reads.
 * Hand-written rather than Powertools because the authorizer's cold start pays for every import.
 */
export function jsonLogger(
  base: LogFields = {},
  write: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Logger {
  const emit = (level: string, message: string, fields?: LogFields): void => {
    write(JSON.stringify({ level, time: new Date().toISOString(), message, ...base, ...fields }));
  };
  return {
    info: (message, fields) => emit('INFO', message, fields),
    warn: (message, fields) => emit('WARN', message, fields),
    error: (message, fields) => emit('ERROR', message, fields),
  };
}

/** Describes a caught error for a log line without its stack's data. */
export function describeError(error: unknown): LogFields {
  return error instanceof Error ? { errorName: error.name, errorMessage: error.message } : { errorName: typeof error };
}
