import fc from 'fast-check';
import { authorize, type AuthorizeDeps } from '../../lambdas/core/auth/authorize';
import { isExpired } from '../../lambdas/core/keys/expiry';
import {
  checksum,
  hashKey,
  keyIdFromHash,
  mintKey,
  parseAuthorization,
  parseKey,
} from '../../lambdas/core/keys/format';
import type { KeyItem } from '../../lambdas/core/model';
import { fixedClock, keyFixture, METHOD_ARN, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * Properties of the two functions every request meets first, over generated input: the header
 * parser and the authorizer. Case counts come from KEYGATE_PROPERTY_RUNS (test/support/property.ts).
 */
const NOW = new Date(instant(0, '10:00'));
const HEX = '0123456789abcdef';

/** A well-formed key, then mutated: one character replaced at any position by any class of character. */
const mutatedKey = fc
  .tuple(
    fc.constantFrom('live', 'test'),
    fc.nat(),
    fc.oneof(
      fc.constantFrom(...HEX),
      fc.constantFrom('A', 'F', 'g', 'z', '_', ' ', '-', '0'),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }),
    ),
    fc.boolean(),
  )
  .map(([environment, position, replacement, mutate]) => {
    const key = mintKey('sk', environment as 'live' | 'test').plaintext;
    if (!mutate) return key;
    const at = position % key.length;
    return key.slice(0, at) + replacement + key.slice(at + 1);
  });

/** Headers as an attacker would send them: keys in every spelling and garbage around them. */
const header = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme-composite' }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ minLength: 10_240, maxLength: 10_300 }),
  mutatedKey,
  fc
    .tuple(
      fc.constantFrom('Bearer ', 'bearer ', 'BEARER  ', ' Bearer ', 'Basic ', 'Bearer', ''),
      mutatedKey,
      fc.constantFrom('', ' ', '\t', ',x', `, ${mintKey('sk', 'live').plaintext}`),
    )
    .map(([a, b, c]) => a + b + c),
  fc.constant('Bearer'),
);

describe('the Authorization parser', () => {
  it('never throws, and accepts only a well-formed key with the right prefix and checksum', () => {
    fc.assert(
      fc.property(header, fc.boolean(), (value, bare) => {
        const parsed = parseAuthorization(value, 'sk', bare);
        if (parsed === undefined) return;
        const { key } = parsed;
        expect(key).toMatch(/^sk_(live|test)_[0-9a-f]{72}$/);
        expect(checksum(key.slice(0, -8))).toBe(key.slice(-8));
        expect(value === key || /^[Bb][Ee][Aa][Rr][Ee][Rr] /.test(value)).toBe(true);
        if (!bare) expect(value).not.toBe(key);
      }),
    );
  });

  it('rejects every single-character change of a valid key (CRC-32 detects any error burst up to 32 bits)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('live', 'test'),
        fc.nat(),
        fc.constantFrom(...HEX),
        (environment, position, replacement) => {
          const key = mintKey('sk', environment as 'live' | 'test').plaintext;
          const at = 8 + (position % (key.length - 8)); // anywhere in the secret or the checksum.
          const changed = key.slice(0, at) + replacement + key.slice(at + 1);
          expect(parseKey(key, 'sk')?.key).toBe(key);
          if (changed !== key) expect(parseKey(changed, 'sk')).toBeUndefined();
        },
      ),
    );
  });
});

/** An in-memory store of generated key items: some active, some revoked, expired or suspended. */
function storeOf(items: KeyItem[]): AuthorizeDeps['store'] {
  const byId = new Map(items.map((item) => [item.id, item]));
  return { getKey: async (id) => byId.get(id) };
}

const keyState = fc.record({
  status: fc.constantFrom('active', 'revoked'),
  tenantStatus: fc.constantFrom('active', 'suspended'),
  expiresAt: fc.constantFrom(null, instant(0), instant(0, '10:00'), instant(0, '10:00:00.001'), instant(39)),
  role: fc.constantFrom('owner', 'admin', 'developer', 'read_only'),
  environment: fc.constantFrom('live', 'test'),
});

describe('the authorizer', () => {
  it('never allows anything but an active, unexpired key of an active tenant', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(keyState, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        header,
        fc.nat(),
        async (states, pick, noise, how) => {
          const tenant = tenantFixture();
          const minted = states.map((state) => {
            const { item, plaintext } = keyFixture({
              tenant,
              role: state.role as KeyItem['role'],
              environment: state.environment as KeyItem['environment'],
            });
            return {
              item: {
                ...item,
                status: state.status,
                tenantStatus: state.tenantStatus,
                expiresAt: state.expiresAt,
              } as KeyItem,
              plaintext,
            };
          });
          const chosen = minted[pick % minted.length];
          // the token: a stored key in some spelling, or noise, or a stored key with a changed character.
          const token = [
            `Bearer ${chosen.plaintext}`,
            chosen.plaintext,
            noise,
            `bearer ${chosen.plaintext.slice(0, -1)}${chosen.plaintext.endsWith('a') ? 'b' : 'a'}`,
          ][how % 4];
          const deps: AuthorizeDeps = {
            store: storeOf(minted.map((entry) => entry.item)),
            prefix: 'sk',
            acceptBareKeys: true,
            clock: fixedClock(NOW.toISOString()),
            logger: recordingLogger(),
            lastUse: { record: () => undefined },
          };
          let allowed;
          try {
            allowed = await authorize(deps, token, METHOD_ARN);
          } catch (error) {
            expect((error as Error).message).toBe('Unauthorized');
            return;
          }
          const parsed = parseAuthorization(token, 'sk', true);
          const item = minted.find((entry) => entry.item.id === keyIdFromHash(hashKey(parsed?.key ?? '')))?.item;
          expect(item).toBeDefined();
          expect(item?.hash).toBe(hashKey(parsed?.key ?? ''));
          expect(item?.status).toBe('active');
          expect(item?.tenantStatus).toBe('active');
          expect(isExpired(item?.expiresAt ?? null, NOW)).toBe(false);
          expect(allowed.principalId).toBe(item?.id);
        },
      ),
    );
  });

  it('never throws anything but Unauthorized for any header, even several values joined', async () => {
    const deps: AuthorizeDeps = {
      store: { getKey: async () => undefined },
      prefix: 'sk',
      acceptBareKeys: true,
      clock: fixedClock(NOW.toISOString()),
      logger: recordingLogger(),
      lastUse: { record: () => undefined },
    };
    await fc.assert(
      fc.asyncProperty(fc.array(header, { minLength: 1, maxLength: 3 }), async (values) => {
        await expect(authorize(deps, values.join(', '), METHOD_ARN)).rejects.toThrow('Unauthorized');
      }),
    );
  });
});
