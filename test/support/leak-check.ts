import { basename } from 'node:path';
import { leakScan, reportCounts } from './leak-scan';

// after every test file: no key, secret part, hash or Authorization value in any log line the
// local gateway wrote, and no answer echoing its request's Authorization or an older secret.
afterAll(() => {
  reportCounts(basename(expect.getState().testPath ?? 'unknown'));
  const leaks = leakScan.findLeaks();
  if (leaks.length > 0)
    throw new Error(
      `secrets leaked:\n${leaks
        .slice(0, 10)
        .map((l) => `${l.what} in ${l.where}: ${l.excerpt}`)
        .join('\n')}`,
    );
});
