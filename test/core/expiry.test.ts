import { isExpired, parseIsoDate, resolveExpiry, ExpiryError } from '../../lambdas/core/keys/expiry';
import { day, instant } from '../support/time';

const at = (iso: string) => () => new Date(iso);

describe('resolveExpiry', () => {
  it('never expires when neither option is given', () => {
    expect(resolveExpiry({}, at(instant(0, '10:00')))).toEqual({ expiresAt: null, ttl: undefined });
  });

  it.each([
    [7, instant(7)],
    [30, instant(30)],
    [60, instant(60)],
    [90, instant(90)],
  ] as const)('expiresInDays %i ends at midnight UTC of today + N', (days, expected) => {
    const expiry = resolveExpiry({ expiresInDays: days }, at(instant(0, '23:59:59.999')));
    expect(expiry.expiresAt).toBe(expected);
    expect(expiry.ttl).toBe(Date.parse(expected) / 1000);
  });

  it('counts days from the UTC date, whatever the hour', () => {
    const early = resolveExpiry({ expiresInDays: 7 }, at(instant(0)));
    const late = resolveExpiry({ expiresInDays: 7 }, at(instant(0, '23:59:59.999')));
    expect(early).toEqual(late);
  });

  it('crosses month ends and leap days', () => {
    expect(resolveExpiry({ expiresInDays: 7 }, at('2004-02-25T12:00:00Z')).expiresAt).toBe('2004-03-03T00:00:00.000Z');
    expect(resolveExpiry({ expiresInDays: 30 }, at('2004-01-30T12:00:00Z')).expiresAt).toBe('2004-02-29T00:00:00.000Z');
    expect(resolveExpiry({ expiresInDays: 7 }, at(instant(35, '12:00'))).expiresAt).toBe(instant(42));
  });

  it('takes expiresOn as midnight UTC at the start of that date', () => {
    const expiry = resolveExpiry({ expiresOn: day(98) }, at(instant(0, '10:00')));
    expect(expiry).toEqual({ expiresAt: instant(98), ttl: Date.parse(instant(98)) / 1000 });
  });

  it('accepts 29 February in a leap year', () => {
    expect(resolveExpiry({ expiresOn: '2004-02-29' }, at(instant(0, '10:00'))).expiresAt).toBe(
      '2004-02-29T00:00:00.000Z',
    );
  });

  it.each(['2002-02-29', '2002-04-31', '2002-13-01', '2002-00-10', '2002-1-1', '27-01-01', instant(39), 'tomorrow'])(
    'rejects %s, which is not a real YYYY-MM-DD date',
    (date) => {
      expect(() => resolveExpiry({ expiresOn: date }, at(instant(0, '10:00')))).toThrow(ExpiryError);
    },
  );

  it('rejects today and past dates, which would be dead on arrival', () => {
    expect(() => resolveExpiry({ expiresOn: day(0) }, at(instant(0)))).toThrow(/after today/);
    expect(() => resolveExpiry({ expiresOn: day(-1) }, at(instant(0)))).toThrow(/after today/);
    expect(resolveExpiry({ expiresOn: day(1) }, at(instant(0, '23:59:59.999'))).expiresAt).toBe(instant(1));
  });

  it('rejects day counts other than 7, 30, 60 and 90', () => {
    for (const days of [0, 1, 8, 31, 365, -7]) {
      expect(() => resolveExpiry({ expiresInDays: days as 7 }, at(instant(0)))).toThrow(/expiresInDays must be one of/);
    }
  });

  it('rejects both options at once', () => {
    expect(() => resolveExpiry({ expiresInDays: 7, expiresOn: day(39) }, at(instant(0)))).toThrow(/not both/);
  });
});

describe('isExpired', () => {
  const expiresAt = resolveExpiry({ expiresOn: day(98) }, at(instant(0))).expiresAt;

  it('works at D-1 23:59:59.999Z and stops at D 00:00:00.000Z', () => {
    expect(isExpired(expiresAt, new Date(instant(97, '23:59:59.999')))).toBe(false);
    expect(isExpired(expiresAt, new Date(instant(98)))).toBe(true);
  });

  it('never expires a key without an expiry', () => {
    expect(isExpired(null, new Date('9999-12-31T00:00:00Z'))).toBe(false);
  });
});

describe('parseIsoDate', () => {
  it('reads real dates only', () => {
    expect(parseIsoDate('2004-02-29')?.toISOString()).toBe('2004-02-29T00:00:00.000Z');
    expect(parseIsoDate('2100-02-29')).toBeUndefined();
  });
});
