import { DEADLINES } from './deadlines';

// jest's per-test limit comes from the one table of deadlines, so KEYGATE_TEST_DEADLINE_SCALE moves it too.
jest.setTimeout(DEADLINES.test);
