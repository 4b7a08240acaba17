import fc from 'fast-check';
import {
  assertValidKeyFormat,
  DEFAULT_KEY_FORMAT,
  hashKey,
  mintKeyIn,
  parseAuthorizationIn,
  parseKeyIn,
  tokenValidationPatternFor,
  type KeyFormat,
} from '../../lambdas/core/keys/format';
import { isSessionToken, mintSessionToken, parseSessionAuthorization } from '../../lambdas/core/sessions/token';

/**
 * Properties of every key format a deployment can configure: what is minted parses back, what
 * has the wrong shape is refused, and API Gateway's identity-validation expression agrees with
 * the parser. Case counts come from KEYGATE_PROPERTY_RUNS (test/support/property.ts).
 */
const HEX = '0123456789abcdef';
const POSTCO: KeyFormat = { prefix: 'sk', environment: false, checksum: false };

const prefix = fc.stringMatching(/^[a-z][a-z0-9]{0,15}$/);
const format = fc.record({ prefix, environment: fc.boolean(), checksum: fc.boolean() });
const environment = fc.constantFrom('live' as const, 'test' as const);

/** A minted key, then maybe changed: a character replaced, dropped, doubled, or upper-cased. */
function changed(key: string) {
  return fc
    .tuple(
      fc.nat(),
      fc.constantFrom('replace', 'drop', 'double', 'upper', 'none'),
      fc.oneof(fc.constantFrom(...HEX), fc.constantFrom('A', 'F', 'g', '_', ' ', '-')),
    )
    .map(([position, how, replacement]) => {
      const at = position % key.length;
      if (how === 'replace') return key.slice(0, at) + replacement + key.slice(at + 1);
      if (how === 'drop') return key.slice(0, at) + key.slice(at + 1);
      if (how === 'double') return key.slice(0, at) + key[at] + key.slice(at);
      if (how === 'upper') return key.toUpperCase();
      return key;
    });
}

describe('key formats', () => {
  it("mints PostCo's documented shape: sk_ and 64 lowercase hex, 256 bits", () => {
    const key = mintKeyIn(POSTCO, 'live').plaintext;
    expect(key).toMatch(/^sk_[0-9a-f]{64}$/);
    expect(key).toHaveLength(67);
  });

  it('defaults to <prefix>_<env>_ + 64 hex + 8 hex checksum', () => {
    expect(DEFAULT_KEY_FORMAT).toEqual({ prefix: 'sk', environment: true, checksum: true });
    expect(mintKeyIn(DEFAULT_KEY_FORMAT, 'test').plaintext).toMatch(/^sk_test_[0-9a-f]{72}$/);
  });

  it('round trips in every format: the parsed key is the minted one, its environment when the key carries it', () => {
    fc.assert(
      fc.property(format, environment, (f, env) => {
        const minted = mintKeyIn(f, env);
        const parsed = parseKeyIn(minted.plaintext, [f]);
        expect(parsed?.key).toBe(minted.plaintext);
        expect(hashKey(parsed!.key)).toBe(minted.hash);
        expect(parsed?.environment).toBe(f.environment ? env : undefined);
        expect(minted.plaintext.length).toBe(f.prefix.length + 1 + (f.environment ? 5 : 0) + 64 + (f.checksum ? 8 : 0));
      }),
    );
  });

  it('refuses wrong shapes in every format (length, case, prefix, checksum), and the validation expression agrees', () => {
    fc.assert(
      fc.property(format, environment, fc.boolean(), fc.nat(), (f, env, bare, seed) => {
        const key = mintKeyIn(f, env).plaintext;
        const variant = fc.sample(changed(key), { numRuns: 1, seed })[0]!;
        // the shape written out independently of the code under test.
        const shape = new RegExp(
          `^${f.prefix}_${f.environment ? '(live|test)_' : ''}[0-9a-f]{${f.checksum ? 72 : 64}}$`,
        );
        const parsed = parseKeyIn(variant, [f]);
        if (variant === key) expect(parsed?.key).toBe(key);
        // with a checksum any change is refused; without one, whatever keeps the shape is another possible key.
        else if (f.checksum || !shape.test(variant)) expect(parsed).toBeUndefined();
        else expect(parsed?.key).toBe(variant);
        // the gateway's expression checks the shape alone: the checksum is the authorizer's.
        const pattern = new RegExp(tokenValidationPatternFor([f], bare));
        expect(pattern.test(`Bearer ${variant}`)).toBe(shape.test(variant));
        expect(pattern.test(variant)).toBe(bare && shape.test(variant));
        expect(parseAuthorizationIn(variant, [f], bare)?.key).toBe(bare ? parsed?.key : undefined);
      }),
    );
  });

  it('accepts the union of the accepted formats and nothing else, in the parser and the expression alike', () => {
    fc.assert(
      fc.property(fc.array(format, { minLength: 1, maxLength: 4 }), format, environment, (accepted, other, env) => {
        const pattern = new RegExp(tokenValidationPatternFor(accepted, false));
        for (const f of accepted) {
          const key = mintKeyIn(f, env).plaintext;
          expect(parseAuthorizationIn(`bearer ${key}`, accepted, false)?.key).toBe(key);
          expect(pattern.test(`bearer ${key}`)).toBe(true);
        }
        const foreign = mintKeyIn(other, env).plaintext;
        const known = accepted.some(
          (f) => f.prefix === other.prefix && f.environment === other.environment && f.checksum === other.checksum,
        );
        expect(parseKeyIn(foreign, accepted) !== undefined).toBe(known);
        expect(pattern.test(`Bearer ${foreign}`)).toBe(known);
      }),
    );
  });

  it('the expression and the parser agree on generated strings', () => {
    const formats = [POSTCO, DEFAULT_KEY_FORMAT];
    const pattern = new RegExp(tokenValidationPatternFor(formats, true));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.stringMatching(/^(Bearer )?sk_((live|test)_)?[0-9a-fA-F]{60,74}$/),
          environment.chain((env) => changed(mintKeyIn(POSTCO, env).plaintext)),
        ),
        (value) => {
          const parsed = parseAuthorizationIn(value, formats, true);
          // the expression checks the shape; only a checksum it cannot compute separates them.
          if (parsed !== undefined) expect(pattern.test(value)).toBe(true);
          const bare = value.replace(/^Bearer /, '');
          if (pattern.test(value) && !/_(live|test)_/.test(value) && !isSessionToken(bare))
            expect(parsed).toBeDefined();
        },
      ),
    );
  });

  it('lets session tokens through the expression in every set of formats, and no key parser takes one', () => {
    const bytes = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((array) => Buffer.from(array));
    fc.assert(
      fc.property(
        fc.array(format, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        bytes,
        fc.nat(),
        (formats, bare, random, seed) => {
          const token = mintSessionToken(() => random).plaintext;
          const pattern = new RegExp(tokenValidationPatternFor(formats, bare));
          expect(pattern.test(`Bearer ${token}`)).toBe(true);
          expect(pattern.test(token)).toBe(bare);
          expect(parseSessionAuthorization(`bearer ${token}`, bare)).toBe(token);
          expect(parseAuthorizationIn(`Bearer ${token}`, formats, bare)).toBeUndefined();
          // a changed token: the expression takes it exactly when it still has a token's shape,
          // written out independently of the code under test (no key format is 47 characters long).
          const variant = fc.sample(changed(token), { numRuns: 1, seed })[0]!;
          const shape = /^kgs_[A-Za-z0-9_-]{43}$/.test(variant);
          expect(pattern.test(`Bearer ${variant}`)).toBe(shape);
          expect(isSessionToken(variant)).toBe(shape);
        },
      ),
    );
  });

  it('refuses formats that are not valid, naming the field', () => {
    expect(() => assertValidKeyFormat({ prefix: 'SK', environment: true, checksum: true })).toThrow(/prefix/);
    expect(() => assertValidKeyFormat({ prefix: 'x'.repeat(17), environment: true, checksum: true })).toThrow(/prefix/);
    expect(() => assertValidKeyFormat({ prefix: 'sk', environment: 'yes', checksum: true })).toThrow(/environment/);
    expect(() => assertValidKeyFormat({ prefix: 'sk', environment: true })).toThrow(/checksum/);
    expect(() => assertValidKeyFormat({ prefix: 'sk', environment: true, checksum: true, length: 3 })).toThrow(
      /length/,
    );
    expect(() => assertValidKeyFormat([])).toThrow(/object/);
    expect(() => assertValidKeyFormat(POSTCO)).not.toThrow();
  });
});
