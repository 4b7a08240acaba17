import {
  checksum,
  hashKey,
  keyIdFromHash,
  mintKey,
  parseAuthorization,
  parseKey,
  tokenValidationPattern,
} from '../../lambdas/core/keys/format';

describe('checksum', () => {
  it('is the IEEE CRC-32 (check value of "123456789" is cbf43926)', () => {
    expect(checksum('123456789')).toBe('cbf43926');
  });

  it('zero-pads to 8 hex characters', () => {
    // crc32('a') is 0xe8b7be43; find a short input whose crc has a leading zero nibble.
    const padded = Array.from({ length: 2000 }, (_, i) => checksum(`x${i}`)).find((c) => c.startsWith('0'));
    expect(padded).toMatch(/^0[0-9a-f]{7}$/);
  });
});

describe('mintKey', () => {
  it('has the shape <prefix>_<env>_<64 hex><8 hex crc> and 80 characters with prefix sk', () => {
    const live = mintKey('sk', 'live');
    const test = mintKey('sk', 'test');
    expect(live.plaintext).toMatch(/^sk_live_[0-9a-f]{72}$/);
    expect(test.plaintext).toMatch(/^sk_test_[0-9a-f]{72}$/);
    expect(live.plaintext).toHaveLength(80);
    expect(live.plaintext.slice(-8)).toBe(checksum(live.plaintext.slice(0, -8)));
  });

  it('uses 32 bytes of the random source as the secret', () => {
    const minted = mintKey('acme', 'live', (size) => Buffer.alloc(size, 0xab));
    expect(minted.plaintext.startsWith(`acme_live_${'ab'.repeat(32)}`)).toBe(true);
  });

  it('derives hash, id and last4 from the plaintext', () => {
    const minted = mintKey('sk', 'live');
    expect(minted.hash).toBe(hashKey(minted.plaintext));
    expect(minted.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(minted.id).toBe(`key_${minted.hash.slice(0, 24)}`);
    expect(minted.id).toBe(keyIdFromHash(minted.hash));
    expect(minted.last4).toBe(minted.plaintext.slice(-4));
  });

  it('mints 10 000 distinct keys and ids', () => {
    const keys = Array.from({ length: 10_000 }, () => mintKey('sk', 'live'));
    expect(new Set(keys.map((k) => k.plaintext)).size).toBe(10_000);
    expect(new Set(keys.map((k) => k.id)).size).toBe(10_000);
  });

  it('refuses a prefix that could break the format', () => {
    for (const prefix of ['', 'SK', 'sk_', 'a.b', '1sk', 'x'.repeat(17)]) {
      expect(() => mintKey(prefix, 'live')).toThrow(/key prefix must match/);
    }
  });
});

describe('parseKey', () => {
  const key = mintKey('sk', 'live').plaintext;

  it('accepts a real key and reports its environment', () => {
    expect(parseKey(key, 'sk')).toEqual({ key, environment: 'live' });
    const test = mintKey('sk', 'test').plaintext;
    expect(parseKey(test, 'sk')?.environment).toBe('test');
  });

  it('rejects every single-character change of a real key', () => {
    const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789_ABCDEF';
    let variants = 0;
    for (let i = 0; i < key.length; i += 1) {
      for (const c of alphabet) {
        if (c === key[i]) continue;
        const changed = key.slice(0, i) + c + key.slice(i + 1);
        variants += 1;
        expect(parseKey(changed, 'sk')).toBeUndefined();
      }
    }
    expect(variants).toBe(key.length * (alphabet.length - 1));
  });

  it('rejects a key of another prefix, a wrong length, and upper-case hex', () => {
    const other = mintKey('pk', 'live').plaintext;
    expect(parseKey(other, 'sk')).toBeUndefined();
    expect(parseKey(key.slice(0, -1), 'sk')).toBeUndefined();
    expect(parseKey(`${key}0`, 'sk')).toBeUndefined();
    expect(parseKey(key.toUpperCase(), 'sk')).toBeUndefined();
  });
});

describe('parseAuthorization', () => {
  const key = mintKey('sk', 'live').plaintext;

  it.each([
    ['Bearer', `Bearer ${key}`],
    ['lower-case bearer', `bearer ${key}`],
    ['mixed-case scheme', `BeArEr ${key}`],
    ['a bare key', key],
  ])('accepts %s', (_label, header) => {
    expect(parseAuthorization(header, 'sk', true)?.key).toBe(key);
  });

  it.each([
    ['a missing header', undefined],
    ['an empty header', ''],
    ['only the scheme', 'Bearer'],
    ['Basic credentials', `Basic ${Buffer.from('user:pass').toString('base64')}`],
    ['Basic with a key', `Basic ${key}`],
    ['two keys', `Bearer ${key} ${key}`],
    ['two spaces after the scheme', `Bearer  ${key}`],
    ['leading spaces', `  Bearer ${key}`],
    ['trailing spaces', `Bearer ${key} `],
    ['a tab for the space', `Bearer\t${key}`],
    ['a key with a bad checksum', `Bearer ${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`],
  ])('rejects %s', (_label, header) => {
    expect(parseAuthorization(header, 'sk', true)).toBeUndefined();
  });

  it('rejects a bare key when bare keys are off, but still takes Bearer', () => {
    expect(parseAuthorization(key, 'sk', false)).toBeUndefined();
    expect(parseAuthorization(`Bearer ${key}`, 'sk', false)?.key).toBe(key);
  });
});

describe('tokenValidationPattern', () => {
  const key = mintKey('sk', 'test').plaintext;
  const matches = (pattern: string, value: string): boolean => new RegExp(pattern).test(value);

  it('matches the headers the parser accepts', () => {
    const pattern = tokenValidationPattern('sk', true);
    for (const header of [`Bearer ${key}`, `bearer ${key}`, `BeArEr ${key}`, key]) {
      expect(matches(pattern, header)).toBe(true);
      expect(parseAuthorization(header, 'sk', true)?.key).toBe(key);
    }
  });

  it('does not match malformed headers', () => {
    const pattern = tokenValidationPattern('sk', true);
    // every spelling a cache entry: padding or extra spaces would make them unbounded.
    for (const header of [
      '',
      'Bearer',
      `Basic ${key}`,
      key.slice(1),
      `pk${key.slice(2)}`,
      `${key}x`,
      `Bearer  ${key}`,
      ` ${key}`,
      `${key} `,
    ]) {
      expect(matches(pattern, header)).toBe(false);
    }
  });

  it('requires the scheme when bare keys are off', () => {
    const pattern = tokenValidationPattern('sk', false);
    expect(matches(pattern, key)).toBe(false);
    expect(matches(pattern, `Bearer ${key}`)).toBe(true);
  });
});
