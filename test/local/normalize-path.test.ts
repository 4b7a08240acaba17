import fc from 'fast-check';
import { ROLES, type Role } from '../../lambdas/core/keys/format';
import { policyFor } from '../../lambdas/core/auth/policy';
import { joinBasePath, normalizePath, parseRequestTarget } from '../../local/http/normalize-path';
import { isAllowed } from '../../local/policy';
import { methodArn } from '../../local/router';

const SELF = ['127.0.0.1:3000', 'localhost:3000'];
const arnFor = (method: string, path: string): string =>
  methodArn({ region: 'local', accountId: '000000000000', apiId: 'keygate', stage: 'prod', method, path });

describe('normalizePath', () => {
  it.each([
    ['/v1/%70anel/x', '/v1/panel/x'],
    ['/v1//panel///x', '/v1/panel/x'],
    ['/v1/./panel/x', '/v1/panel/x'],
    ['/v1/q/../panel/x', '/v1/panel/x'],
    ['/../admin', '/admin'],
    ['/%2e%2e/admin', '/admin'],
    ['/.%2E/admin', '/admin'],
    ['/a/b/..', '/a/'],
    ['/orders/', '/orders/'],
    ['/', '/'],
    ['//', '/'],
    ['/%c3%a9t%C3%A9', '/%C3%A9t%C3%A9'],
    ['/a%25b', '/a%25b'],
    ['/V1/Panel', '/V1/Panel'],
  ])('%s → %s', (raw, expected) => {
    expect(normalizePath(raw)).toBe(expected);
  });

  it.each([
    '/v1/panel%2Fx',
    '/v1/panel%2fx',
    '/a%5Cb',
    '/a%00',
    '/a\\b',
    '/\\host/x',
    '/a%',
    '/a%4',
    '/a%zz',
    'relative',
    '/a#frag',
  ])('refuses %s', (raw) => {
    expect(normalizePath(raw)).toBeUndefined();
  });
});

describe('parseRequestTarget', () => {
  it.each([
    ['//evil:1/x', { kind: 'ok', path: '/evil:1/x', query: '' }],
    ['/orders?a=1&b=%2F', { kind: 'ok', path: '/orders', query: '?a=1&b=%2F' }],
    ['http://127.0.0.1:3000/orders?a=1', { kind: 'ok', path: '/orders', query: '?a=1' }],
    ['HTTP://LOCALHOST:3000', { kind: 'ok', path: '/', query: '' }],
    ['http://localhost:3000?x', { kind: 'ok', path: '/', query: '?x' }],
  ])('%s is read as %j', (raw, expected) => {
    expect(parseRequestTarget(raw, SELF)).toEqual(expected);
  });

  it.each([
    'http://127.0.0.1:4000/x',
    'http://evil/x',
    'https://127.0.0.1:3000/x',
    'http://user@127.0.0.1:3000/x',
    'http://127.0.0.1:3000\\@evil/x',
    '*',
    'evil:80',
    '/\\evil/x',
  ])('refuses %s', (raw) => {
    expect(parseRequestTarget(raw, SELF).kind).toBe('refused');
  });
});

/** One character of a path segment, in any of the spellings that mean it. */
const spelledChar = (char: string): fc.Arbitrary<string> => {
  const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
  return fc.constantFrom(char, `%${hex.toLowerCase()}`, `%${hex.toUpperCase()}`);
};

/** A segment as sent: each character plain or percent-encoded in either case. */
const spelledSegment = (segment: string): fc.Arbitrary<string> =>
  segment.length === 0 ? fc.constant('') : fc.tuple(...[...segment].map(spelledChar)).map((chars) => chars.join(''));

/** Noise that normalizes away before a segment: extra slashes, `.` segments, `x/..` detours. */
const noise: fc.Arbitrary<string> = fc
  .array(fc.constantFrom('/', '/.', '/%2e', '/%2E', '/zz/..', '/zz/%2e%2e', '/zz/.%2E'), { maxLength: 3 })
  .map((parts) => parts.join(''));

/** Every spelling of `/seg1/seg2/...` that a normalizer must read as the same path. */
const spellingsOf = (segments: readonly string[]): fc.Arbitrary<string> =>
  fc
    .tuple(...segments.map((segment) => fc.tuple(noise, spelledSegment(segment))))
    .map((parts) => parts.map(([pre, seg]) => `${pre}/${seg}`).join(''));

const unreservedSegment = fc.stringMatching(/^[A-Za-z0-9\-_~]{1,6}$/);

describe('normalizePath properties', () => {
  it('reads every spelling of a path (encodings, slashes, dot segments) as that path', () => {
    fc.assert(
      fc.property(
        fc
          .array(unreservedSegment, { minLength: 1, maxLength: 5 })
          .chain((segments) => fc.tuple(fc.constant(segments), spellingsOf(segments))),
        ([segments, spelled]) => {
          expect(normalizePath(spelled)).toBe(`/${segments.join('/')}`);
        },
      ),
    );
  });

  it('is idempotent and leaves no empty segment, no dot segment and no encoded unreserved character', () => {
    const piece = fc.constantFrom(
      '/',
      '//',
      '.',
      '..',
      '%2e',
      '%2E',
      '%2f',
      '%5c',
      '%',
      '%4',
      '%41',
      '%7e',
      '%25',
      '\\',
      'a',
      'B',
      '~',
      '%C3%A9',
      '?',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const normalized = normalizePath(`/${pieces.join('')}`);
        if (normalized === undefined) return;
        expect(normalizePath(normalized)).toBe(normalized);
        const segments = normalized
          .split('/')
          .slice(1, normalized.endsWith('/') && normalized !== '/' ? -1 : undefined);
        for (const segment of segments.filter((_, i) => normalized !== '/' || i > 0)) {
          expect(['', '.', '..']).not.toContain(segment);
          expect(segment).not.toMatch(/%(?:[46][1-9A-F]|[57][0-9A]|3[0-9]|2D|2E|5F|7E)/i);
        }
      }),
    );
  });

  it('never lets a forwarded path leave the base path', () => {
    const piece = fc.constantFrom(
      '/',
      '..',
      '.',
      '%2e',
      '%2E',
      '.%2e',
      '%2e.',
      '%2f',
      '%2F',
      '%5c',
      '\\',
      'admin',
      'api',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (pieces) => {
        const target = parseRequestTarget(`/${pieces.join('')}`, SELF);
        if (target.kind === 'refused') return;
        const forwarded = joinBasePath('/api', target.path);
        expect(forwarded.startsWith('/api/')).toBe(true);
        // the upstream's own URL resolution must not move it either.
        expect(new URL(forwarded, 'http://upstream.test').pathname.startsWith('/api/')).toBe(true);
      }),
    );
  });
});

describe('a Deny holds for every spelling', () => {
  /** A spelling of `segments` with letter case changed at random. */
  const anyCase = (text: string): fc.Arbitrary<string> =>
    fc
      .array(fc.boolean(), { minLength: text.length, maxLength: text.length })
      .map((flips) => [...text].map((c, i) => (flips[i] ? c.toUpperCase() : c)).join(''));

  it.each(ROLES.filter((role) => role !== 'operator'))(
    'no spelling of /v1/panel/... is allowed to a %s key',
    (role: Role) => {
      const policy = policyFor(arnFor('GET', '/v1/me'), role, 'live');
      fc.assert(
        fc.property(
          fc
            .tuple(unreservedSegment, fc.constantFrom('GET', 'POST', 'DELETE'))
            .chain(([last, method]) =>
              fc.tuple(spellingsOf(['v1', 'panel', last]).chain(anyCase), fc.constant(method)),
            ),
          ([spelled, method]) => {
            const target = parseRequestTarget(spelled, SELF);
            if (target.kind === 'refused') return;
            expect(isAllowed(policy, arnFor(method, target.path), { foldDenyCase: true })).toBe(false);
          },
        ),
      );
    },
  );

  it('refuses an encoded slash that would join a denied path for a backend that decodes first', () => {
    for (const spelled of ['/v1/panel%2Fx', '/v1%2Fpanel/x', '/v1%2fpanel%2fx'])
      expect(parseRequestTarget(spelled, SELF).kind).toBe('refused');
  });

  it('keeps an Allow case-sensitive: folding only ever refuses more', () => {
    const policy = {
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Action: 'execute-api:Invoke', Resource: arnFor('GET', '/v1/orders') }],
    };
    expect(isAllowed(policy, arnFor('GET', '/v1/orders'), { foldDenyCase: true })).toBe(true);
    expect(isAllowed(policy, arnFor('GET', '/V1/Orders'), { foldDenyCase: true })).toBe(false);
  });
});
