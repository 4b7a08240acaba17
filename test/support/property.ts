import fc from 'fast-check';

/**
 * How many cases each property test generates: one setting for the whole suite,
 * `KEYGATE_PROPERTY_RUNS` (default 2 000). A deeper run is `KEYGATE_PROPERTY_RUNS=50000 npm run test:unit`;
 * a failure prints its seed and path, which `fc.assert`'s `seed` and `path` replay.
 */
export const PROPERTY_RUNS = Number(process.env.KEYGATE_PROPERTY_RUNS ?? 2_000);

if (!Number.isInteger(PROPERTY_RUNS) || PROPERTY_RUNS < 1) {
  throw new Error(
    `KEYGATE_PROPERTY_RUNS must be a positive integer, got ${JSON.stringify(process.env.KEYGATE_PROPERTY_RUNS)}`,
  );
}

fc.configureGlobal({ numRuns: PROPERTY_RUNS });
