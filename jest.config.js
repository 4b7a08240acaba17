/**
 * The suite in layers, each a jest project run with `npm run test:<layer>`; `npm test` runs them all.
 *
 * - unit: plain TypeScript with fakes and injected clocks; no database, no process, no socket.
 * - integration: the store and jobs against DynamoDB Local over its real protocol.
 * - e2e: HTTP against the local gateway, and the processes `npm start` runs.
 * - cdk: synthesized templates (no bundling) and the one test that bundles every Lambda.
 * - browser: pages in Debian's headless chromium (playwright-core) against the local gateway.
 *
 * A test file's folder picks its layer; a file in no listed folder is a unit test, so the unit
 * layer must stay free of DynamoDB: it has no database to reach.
 */
const LAYERS = {
  integration: ['test/integration/', 'test/contract/', 'test/local/dynamodb-local\\.test\\.ts'],
  e2e: [
    'test/e2e/',
    'test/docs/',
    'test/examples/',
    'test/client/(example|lifecycle|operator|package)\\.test\\.ts',
    'test/openapi/(conformance|serve)\\.test\\.ts',
    'test/local/lifecycle\\.test\\.ts',
  ],
  cdk: [
    'test/cdk/',
    'test/front-door/',
    'test/(stack|notices-stack|operations|rate-plans|bundles|keygate-construct)\\.test\\.ts',
  ],
  browser: ['test/browser/'],
};

const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.tsx?$': ['@swc/jest'] },
  setupFiles: ['<rootDir>/test/support/env.ts', '<rootDir>/test/support/property.ts'],
  // the per-test limit is set from test/support/deadlines.ts, where every deadline of the suite lives.
  setupFilesAfterEnv: ['<rootDir>/test/support/timeout.ts', '<rootDir>/test/support/leak-check.ts'],
  // the package exports the built client (dist/client) to other projects; the tests use its source.
  moduleNameMapper: { '^keygate/client$': '<rootDir>/client/index.ts' },
};

const withDynamoDb = {
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
};

// paths are matched from the repository's root, so `test/e2e/` means that folder and no other.
const under = (prefixes) => `^<rootDir>/(${prefixes.join('|')})`;

/** @type {import('jest').Config} */
module.exports = {
  // two workers on two cores: most tests wait on HTTP, DynamoDB Local or a child process, not the
  // CPU (jest's default, one less than the cores, runs the whole suite in one worker here).
  maxWorkers: 2,
  projects: [
    {
      ...base,
      displayName: 'unit',
      testRegex: '/test/.*\\.test\\.ts$',
      testPathIgnorePatterns: ['/node_modules/', under(Object.values(LAYERS).flat())],
    },
    ...Object.entries(LAYERS).map(([name, prefixes]) => ({
      ...base,
      ...withDynamoDb,
      displayName: name,
      testRegex: `${under(prefixes).replace('<rootDir>', __dirname.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))}(.*\\.test\\.ts)?$`,
    })),
  ],
};
