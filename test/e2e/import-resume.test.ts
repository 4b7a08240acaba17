import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintKey } from '../../lambdas/core/keys/format';
import { jsonLogger } from '../../lambdas/core/support/logger';
import type { LocalKeygate } from '../../local/app';
import { DEADLINES } from '../support/deadlines';
import { LeakScan, leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';
import { TSX, waitGone, watch, type Watched } from '../support/processes';

/**
 * `keygate-admin import` of 10 000 keys as an operator runs it, a process of its own, killed
 * (SIGKILL: no handler runs, no buffer is flushed) once about half its batches are done, then run
 * again: the tenant ends with every key once, the keys work, and no plaintext is in the
 * command's output or the local gateway's logs.
 */

const ROOT = join(__dirname, '..', '..');
const KEYS = 10_000;
const TENANT = 'bulk-acme';

jest.setTimeout(DEADLINES.bulkImport);

let keygate: LocalKeygate;
let dir: string;
/** The tenant's own first key, made with it. */
let ownerId: string;
/** This file's own scan, asserted in the test; the shared one is checked after the file as always. */
const scan = new LeakScan();

beforeAll(async () => {
  keygate = await startTestKeygate({
    logger: jsonLogger({ source: 'keygate-local' }, (line) => scan.log('JSON log', line)),
    requestLog: (line) => scan.log('request log', line),
  });
  dir = mkdtempSync(join(tmpdir(), 'keygate-bulk-import-'));
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: keygate.operatorKey as string,
    body: { tenantId: TENANT, name: 'Acme', plan: 'scale' },
  });
  expect(created.status).toBe(201);
  ownerId = created.body.key.id as string;
  scan.secret(keygate.operatorKey as string);
});
afterAll(async () => {
  await keygate.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The import as a process group of its own (tsx runs node as its child), so one kill ends it all. */
function runImport(file: string): Watched {
  return watch(TSX, ['bin/keygate-admin.ts', 'import', '--tenant', TENANT, '--file', file, '--url', keygate.url], {
    cwd: ROOT,
    env: { ...process.env, KEYGATE_OPERATOR_KEY: keygate.operatorKey as string },
    detached: true,
  });
}

/** Every key id of the tenant, page by page through the listing's cursors. */
async function listedIds(): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const query = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = await call(keygate.url, 'GET', `/v1/panel/tenants/${TENANT}/keys?limit=100${query}`, {
      key: keygate.operatorKey as string,
    });
    expect(page.status).toBe(200);
    ids.push(...(page.body.items as { id: string }[]).map((key) => key.id));
    cursor = page.body.cursor;
  } while (cursor !== undefined);
  return ids;
}

describe('keygate-admin import of 10 000 keys', () => {
  it('resumes after a SIGKILL halfway: every key stored once, each works, no plaintext in any output or log', async () => {
    const keys = Array.from({ length: KEYS }, () => mintKey('sk', 'live').plaintext);
    for (const key of keys) {
      scan.secret(key);
      leakScan.secret(key);
    }
    const file = join(dir, 'keys.jsonl');
    writeFileSync(file, `${keys.map((key, i) => JSON.stringify({ key, name: `legacy ${i}` })).join('\n')}\n`);

    const first = runImport(file);
    await first.waitFor(/^lines \d+-5000 done/m, DEADLINES.bulkImport);
    process.kill(-(first.child.pid as number), 'SIGKILL');
    expect(await first.exited).toBeNull();
    expect(await waitGone([first.child.pid as number])).toEqual([]);
    expect(first.output()).not.toMatch(/^imported \d+/m);

    const second = runImport(file);
    expect(await second.exited).toBe(0);
    const summary = /^imported (\d+), duplicate (\d+), invalid 0, skipped (\d+) lines done before$/m.exec(
      second.output(),
    );
    // the batch in flight at the kill is sent again: replayed, or its keys reported as duplicates.
    expect(
      summary
        ?.slice(1)
        .map(Number)
        .reduce((sum, count) => sum + count),
    ).toBe(KEYS);
    expect(Number(summary?.[3])).toBeGreaterThanOrEqual(5_000);

    const ids = (await listedIds()).filter((id) => id !== ownerId);
    expect(ids).toHaveLength(KEYS);
    expect(new Set(ids).size).toBe(KEYS);
    for (const key of keys.filter((_, i) => i % 997 === 0)) {
      expect((await call(keygate.url, 'GET', '/v1/me', { key })).status).toBe(200);
    }
    for (const run of [first, second]) {
      scan.log('import output', run.output());
      leakScan.log('import output', run.output());
    }
    expect(scan.counts.logLines).toBeGreaterThan(200);
    expect(scan.findLeaks()).toEqual([]);
  });
});
