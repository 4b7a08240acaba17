/**
 * Deadlines for waits on processes, ports and the network in tests, in one place.
 *
 * Each is generous (a loaded 2-core machine runs DynamoDB Local, `tsx` and Java many times
 * slower than a laptop), and each is multiplied by `KEYGATE_TEST_DEADLINE_SCALE` (a positive
 * number, default 1): set it to 3 on a slow runner rather than editing tests. A deadline bounds a
 * wait for an event; it is never a sleep, so a generous one costs nothing when things are fast.
 */

/** The multiplier from `KEYGATE_TEST_DEADLINE_SCALE`. @default 1 */
export function deadlineScale(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.KEYGATE_TEST_DEADLINE_SCALE;
  if (raw === undefined || raw === '') return 1;
  const scale = Number(raw);
  if (!Number.isFinite(scale) || scale <= 0)
    throw new Error(`KEYGATE_TEST_DEADLINE_SCALE must be a positive number, got ${JSON.stringify(raw)}`);
  return scale;
}

/** A base deadline in milliseconds, scaled. */
export function scaled(ms: number): number {
  return Math.round(ms * deadlineScale());
}

/** Scaled deadlines, in milliseconds, by what is awaited. */
export const DEADLINES = {
  /** One jest test that talks to DynamoDB Local or the local gateway: jest's `testTimeout`. */
  test: scaled(30_000),
  /** A test that starts processes (`npm start`, Java) or builds an index in DynamoDB Local. */
  slowTest: scaled(120_000),
  /** A started process to print the line that says it is ready. */
  processOutput: scaled(60_000),
  /** One HTTP request to a server in the test's own process to arrive or answer. */
  request: scaled(10_000),
  /**
   * A test that imports a few hundred keys through the local gateway: one DynamoDB Local
   * transaction each, seconds apiece on a loaded machine.
   */
  importTest: scaled(300_000),
  /**
   * A test that imports ten thousand keys through the local gateway (two hundred thousand DynamoDB
   * Local calls or so), then lists and calls them.
   */
  bulkImport: scaled(900_000),
  /** Processes to end after a signal. */
  processExit: scaled(15_000),
  /** Chromium to start, or one browser action (a click, a wait for an element) to complete. */
  browser: scaled(30_000),
} as const;

/** Polling period for waits that have no event to listen to (`ps`, a table's status). */
export const POLL_MS = 100;
