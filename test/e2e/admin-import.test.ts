import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importKeysCommand, type ImportOutput } from '../../bin/import-keys';
import { hashKey, mintKey } from '../../lambdas/core/keys/format';
import type { LocalKeygate } from '../../local/app';
import { DEADLINES } from '../support/deadlines';
import { leakScan } from '../support/leak-scan';
import { call, startTestKeygate } from '../support/local';
import { instant } from '../support/time';

/**
 * `keygate-admin import` against the local gateway: a file of keys streamed in batches through
 * the import route, resumed after a failure halfway, with nothing stored twice and no key printed.
 */

let keygate: LocalKeygate;
let dir: string;
const now = Date.parse(instant(0, '12:00'));

/** Collects what the command prints; every line goes through the leak scan too. */
function output(): ImportOutput & { text: string[] } {
  const text: string[] = [];
  const keep = (where: string) => (line: string) => {
    text.push(line);
    leakScan.log(where, line);
  };
  return { text, stdout: keep('import stdout'), stderr: keep('import stderr') };
}

beforeAll(async () => {
  keygate = await startTestKeygate({ clock: () => new Date(now) });
  dir = mkdtempSync(join(tmpdir(), 'keygate-import-'));
  const created = await call(keygate.url, 'POST', '/v1/panel/tenants', {
    key: keygate.operatorKey as string,
    body: { tenantId: 'cli-acme', name: 'Acme', plan: 'scale' },
  });
  expect(created.status).toBe(201);
});
afterAll(async () => {
  await keygate.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('keygate-admin import', () => {
  // some 500 keys through the import route, one DynamoDB Local transaction each.
  jest.setTimeout(DEADLINES.importTest);

  it('streams a file in batches, resumes after a failure halfway, stores nothing twice, prints no key', async () => {
    const keys = Array.from({ length: 247 }, () => mintKey('sk', 'live').plaintext);
    for (const key of keys) leakScan.secret(key);
    const lines = keys.map((key, i) => JSON.stringify({ key, name: `legacy ${i}` }));
    lines.splice(120, 0, 'not json', JSON.stringify({ key: keys[0], name: 'again' }), '{"key":"nope","name":"x"}');
    const file = join(dir, 'keys.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const env = { KEYGATE_OPERATOR_KEY: keygate.operatorKey as string };
    const args = ['--tenant', 'cli-acme', '--file', file, '--url', keygate.url];

    const dry = output();
    const planned = await importKeysCommand([...args, '--dry-run'], dry, env);
    expect(planned).toMatchObject({ imported: 249, invalid: 1, skipped: 0 });
    expect(existsSync(`${file}.progress`)).toBe(false);
    expect((await call(keygate.url, 'GET', '/v1/me', { key: keys[0] })).status).toBe(401);

    // the second batch fails as if the network went away: the first stays done.
    const realFetch = global.fetch;
    let calls = 0;
    const spy = jest.spyOn(global, 'fetch').mockImplementation((...request) => {
      calls += 1;
      return calls === 2 ? Promise.reject(new Error('connection reset')) : realFetch(...request);
    });
    try {
      await expect(importKeysCommand(args, output(), env)).rejects.toThrow(/connection reset/);
    } finally {
      spy.mockRestore();
    }
    expect(readFileSync(`${file}.progress`, 'utf8').trim()).toBe('100');

    const resumed = output();
    const summary = await importKeysCommand(args, resumed, env);
    expect(summary).toEqual({ imported: 147, duplicate: 1, invalid: 2, skipped: 100 });
    expect(resumed.text.filter((line) => line.startsWith('line '))).toEqual([
      'line 121: not a JSON object\n',
      expect.stringMatching(/^line 123: invalid_request: key: /),
    ]);
    expect(resumed.text.at(-1)).toBe('imported 147, duplicate 1, invalid 2, skipped 100 lines done before\n');
    expect((await call(keygate.url, 'GET', '/v1/me', { key: keys[246] })).status).toBe(200);

    // the same keys from another file, so no batch is a replay: every key is a duplicate.
    const copy = join(dir, 'copy.jsonl');
    writeFileSync(copy, readFileSync(file));
    const again = await importKeysCommand(
      ['--tenant', 'cli-acme', '--file', copy, '--url', keygate.url],
      output(),
      env,
    );
    expect(again).toEqual({ imported: 0, duplicate: 248, invalid: 2, skipped: 0 });
    const listed = await call(keygate.url, 'GET', '/v1/panel/tenants/cli-acme/keys?limit=100&name=legacy', {
      key: keygate.operatorKey as string,
    });
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).not.toContain(hashKey(keys[0] as string));
  });
});

/**
 * In front of the local gateway: answers the first import request 409 "still in progress", as the
 * route answers a batch sent again while the same batch of a killed run is still being stored,
 * and passes every other request on.
 */
async function busyOnce(target: string): Promise<{ url: string; server: Server; idempotencyKeys: string[] }> {
  const idempotencyKeys: string[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      idempotencyKeys.push(String(request.headers['idempotency-key']));
      if (idempotencyKeys.length === 1) {
        response.writeHead(409, { 'content-type': 'application/json' });
        response.end(
          JSON.stringify({
            error: {
              code: 'conflict',
              message: 'a request with this Idempotency-Key is still in progress; retry in a few seconds',
            },
          }),
        );
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(request.headers).filter(([name]) => !['host', 'content-length', 'connection'].includes(name)),
      ) as Record<string, string>;
      void fetch(`${target}${request.url}`, { method: request.method, headers, body: Buffer.concat(chunks) }).then(
        async (answer) => {
          response.writeHead(answer.status, { 'content-type': 'application/json' });
          response.end(await answer.text());
        },
      );
    });
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, idempotencyKeys };
}

describe('keygate-admin import, run again while the killed run’s batch is still being stored', () => {
  it('sends the batch again, under the same Idempotency-Key, once the route stops answering "in progress"', async () => {
    const keys = Array.from({ length: 3 }, () => mintKey('sk', 'live').plaintext);
    for (const key of keys) leakScan.secret(key);
    const file = join(dir, 'busy.jsonl');
    writeFileSync(file, `${keys.map((key, i) => JSON.stringify({ key, name: `busy ${i}` })).join('\n')}\n`);
    const proxy = await busyOnce(keygate.url);
    try {
      const summary = await importKeysCommand(['--tenant', 'cli-acme', '--file', file, '--url', proxy.url], output(), {
        KEYGATE_OPERATOR_KEY: keygate.operatorKey as string,
      });

      expect(summary).toEqual({ imported: 3, duplicate: 0, invalid: 0, skipped: 0 });
      expect(proxy.idempotencyKeys).toHaveLength(2);
      expect(proxy.idempotencyKeys[1]).toBe(proxy.idempotencyKeys[0]);
      expect((await call(keygate.url, 'GET', '/v1/me', { key: keys[2] })).status).toBe(200);
    } finally {
      proxy.server.close();
    }
  });
});
