import { mintKeyIn, type KeyFormat } from '../lambdas/core/keys/format';
import { LeakScan } from './support/leak-scan';

// the leak check is only as good as its idea of a key: it must know every format keygate mints.
const FORMATS: [string, KeyFormat][] = [
  ['the default format', { prefix: 'sk', environment: true, checksum: true }],
  ['sk_ + 64 hex (no environment, no checksum)', { prefix: 'sk', environment: false, checksum: false }],
  ['an environment without a checksum', { prefix: 'ps', environment: true, checksum: false }],
  ['a checksum without an environment', { prefix: 'acme', environment: false, checksum: true }],
];

describe('the leak scan', () => {
  it.each(FORMATS)('finds part of an answered key of %s in a later log line', (_label, format) => {
    const { plaintext } = mintKeyIn(format, 'test');
    const scan = new LeakScan();
    scan.response('POST /v1/keys 201', 'POST', 'Bearer sk_live_operator', JSON.stringify({ key: plaintext }));
    scan.log('JSON log', JSON.stringify({ message: 'created', secret: plaintext.slice(-40, -20) }));
    expect(scan.findLeaks()).toEqual([expect.objectContaining({ where: 'JSON log', what: 'secret part' })]);
  });

  it.each(FORMATS)(
    'finds a key of %s sent bare in Authorization when a log line repeats part of it',
    (_label, format) => {
      const { plaintext } = mintKeyIn(format, 'live');
      const scan = new LeakScan();
      scan.response('GET /v1/me 200', 'GET', plaintext, '{"ok":true}');
      scan.log('request log', `GET /v1/me 200 ${plaintext.slice(-40, -20)}`);
      expect(scan.findLeaks()).toEqual([expect.objectContaining({ where: 'request log', what: 'secret part' })]);
    },
  );

  it('finds nothing in lines that hold no part of a key', () => {
    const { plaintext } = mintKeyIn(FORMATS[1][1], 'live');
    const scan = new LeakScan();
    scan.response(
      'POST /v1/keys 201',
      'POST',
      undefined,
      JSON.stringify({ key: plaintext, last4: plaintext.slice(-4) }),
    );
    scan.log('request log', `POST /v1/keys 201 key_${'0'.repeat(24)} ${plaintext.slice(-4)}`);
    expect(scan.findLeaks()).toEqual([]);
  });
});
