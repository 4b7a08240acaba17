import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKeygateLocal } from '../../local/app';
import { recordingLogger } from '../support/fixtures';
import { call } from '../support/local';
import { DEADLINES } from '../support/deadlines';

const quiet = { logger: recordingLogger(), requestLog: () => undefined, port: 0 };

describe('npm start with KEYGATE_DATA_DIR', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'keygate-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(
    'keeps tenants and keys across a restart, and prints the operator key only the first time',
    async () => {
      const first = await startKeygateLocal({ ...quiet, dataDir });
      let owner: string;
      try {
        expect(first.operatorKey).toMatch(/^sk_live_/);
        const created = await call(first.url, 'POST', '/v1/panel/tenants', {
          key: first.operatorKey,
          body: { tenantId: 'kept', name: 'Kept', plan: 'starter' },
        });
        owner = created.body.key.key;
      } finally {
        await first.stop();
      }
      const second = await startKeygateLocal({ ...quiet, dataDir });
      try {
        expect(second.operatorKey).toBeUndefined();
        // the usage identifier is registered again, so the key is metered and served.
        const me = await call(second.url, 'GET', '/v1/me', { key: owner });
        expect(me.status).toBe(200);
        expect(me.body.tenant.tenantId).toBe('kept');
      } finally {
        await second.stop();
      }
    },
    DEADLINES.slowTest,
  ); // two cold starts of npm and DynamoDB Local: slow on a loaded machine, not timed.
});
