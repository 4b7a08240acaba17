import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { tour } from '../../examples/client/tour';
import type { LocalKeygate } from '../../local/app';
import { leakScan } from '../support/leak-scan';
import { startTestKeygate } from '../support/local';
import { TSX } from '../support/processes';
import { DEADLINES } from '../support/deadlines';

let keygate: LocalKeygate;

beforeAll(async () => {
  keygate = await startTestKeygate();
});
afterAll(async () => {
  await keygate.stop();
});

/** The lines the tour prints, with ids and dates made generic. */
const shape = (lines: string[]) =>
  lines.map((line) =>
    line
      .replace(/key_[0-9a-f]{24}/g, 'key_…')
      .replace(/…[0-9a-f]{4}/g, '…xxxx')
      .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'DATE'),
  );

const EXPECTED = [
  expect.stringMatching(/^tenant [a-z0-9-]+ on starter \(10 rps\), owner key …xxxx$/),
  'created key_… "ci" …xxxx, expires DATE',
  '  key_… ci-deploy developer active',
  '  key_… owner owner active',
  'revoked key_…: its next request got 401 unauthorized',
  'rotated key_… → key_…; the old key works 24 h more',
  'usage: starter, 10 rps, burst 20, quota none',
  'suspended: the owner key gets 401',
  expect.stringMatching(/^deleted [a-z0-9-]+$/),
];

describe('the client example (examples/client/tour.ts)', () => {
  it('walks the tour against the local gateway, printing no plaintext key', async () => {
    const lines: string[] = [];
    const tenantId = await tour({
      baseUrl: keygate.url,
      operatorKey: keygate.operatorKey as string,
      log: (line) => lines.push(line),
    });
    expect(shape(lines)).toEqual(EXPECTED);
    for (const line of lines) leakScan.log('example output', line);
    expect(lines.join('\n')).not.toMatch(/sk_(live|test)_/);
    await expect(
      fetch(`${keygate.url}/v1/panel/tenants/${tenantId}`, {
        headers: { authorization: `Bearer ${keygate.operatorKey}` },
      }).then((r) => r.status),
    ).resolves.toBe(404);
  });

  it(
    'runs as a script with tsx, as the README says, importing keygate/client by its package name',
    async () => {
      const child = spawn(TSX, [join(__dirname, '..', '..', 'examples', 'client', 'tour.ts')], {
        env: { ...process.env, KEYGATE_URL: keygate.url, KEYGATE_OPERATOR_KEY: keygate.operatorKey as string },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect([code, err]).toEqual([0, '']);
      const lines = out.trimEnd().split('\n');
      for (const line of lines) leakScan.log('example script output', line);
      expect(shape(lines)).toEqual(EXPECTED);
    },
    DEADLINES.slowTest,
  );
});
