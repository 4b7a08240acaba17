import { isExpired, parseIsoDate, resolveExpiry, ExpiryError } from '../../lambdas/core/keys/expiry';

const at = (iso: string) => () => new Date(iso);

describe('resolveExpiry', () => {
  it('never expires when neither option is given', () => {
    expect(resolveExpiry({}, at('2026-11-23T10:00:00Z'))).toEqual({ expiresAt: null, ttl: undefined });
  });

  it.each([
    [7, '2026-11-30T00:00:00.000Z'],
    [30, '2026-12-23T00:00:00.000Z'],
    [60, '2027-01-22T00:00:00.000Z'],
    [90, '2027-02-21T00:00:00.000Z'],
  ] as const)('expiresInDays %i ends at midnight UTC of today + N', (days, expected) => {
    const expiry = resolveExpiry({ expiresInDays: days }, at('2026-11-23T23:59:59.999Z'));
    expect(expiry.expiresAt).toBe(expected);
    expect(expiry.ttl).toBe(Date.parse(expected) / 1000);
  });

  it('counts days from the UTC date, whatever the hour', () => {
    const early = resolveExpiry({ expiresInDays: 7 }, at('2026-11-23T00:00:00.000Z'));
    const late = resolveExpiry({ expiresInDays: 7 }, at('2026-11-23T23:59:59.999Z'));
    expect(early).toEqual(late);
  });

  it('crosses month ends and leap days', () => {
    expect(resolveExpiry({ expiresInDays: 7 }, at('2028-02-25T12:00:00Z')).expiresAt).toBe('2028-03-03T00:00:00.000Z');
    expect(resolveExpiry({ expiresInDays: 30 }, at('2028-01-30T12:00:00Z')).expiresAt).toBe('2028-02-29T00:00:00.000Z');
    expect(resolveExpiry({ expiresInDays: 7 }, at('2026-12-28T12:00:00Z')).expiresAt).toBe('2027-01-04T00:00:00.000Z');
  });

  it('takes expiresOn as midnight UTC at the start of that date', () => {
    const expiry = resolveExpiry({ expiresOn: '2027-03-01' }, at('2026-11-23T10:00:00Z'));
    expect(expiry).toEqual({ expiresAt: '2027-03-01T00:00:00.000Z', ttl: Date.parse('2027-03-01T00:00:00Z') / 1000 });
  });

  it('accepts 29 February in a leap year', () => {
    expect(resolveExpiry({ expiresOn: '2028-02-29' }, at('2026-11-23T10:00:00Z')).expiresAt).toBe('2028-02-29T00:00:00.000Z');
  });

  it.each(['2027-02-29', '2027-04-31', '2027-13-01', '2027-00-10', '2027-1-1', '27-01-01', '2027-01-01T00:00:00Z', 'tomorrow'])(
    'rejects %s, which is not a real YYYY-MM-DD date',
    (date) => {
      expect(() => resolveExpiry({ expiresOn: date }, at('2026-11-23T10:00:00Z'))).toThrow(ExpiryError);
    },
  );

  it('rejects today and past dates, which would be dead on arrival', () => {
    expect(() => resolveExpiry({ expiresOn: '2026-11-23' }, at('2026-11-23T00:00:00Z'))).toThrow(/after today/);
    expect(() => resolveExpiry({ expiresOn: '2026-11-22' }, at('2026-11-23T00:00:00Z'))).toThrow(/after today/);
    expect(resolveExpiry({ expiresOn: '2026-11-24' }, at('2026-11-23T23:59:59.999Z')).expiresAt).toBe('2026-11-24T00:00:00.000Z');
  });

  it('rejects day counts other than 7, 30, 60 and 90', () => {
    for (const days of [0, 1, 8, 31, 365, -7]) {
      expect(() => resolveExpiry({ expiresInDays: days as 7 }, at('2026-11-23T00:00:00Z'))).toThrow(/expiresInDays must be one of/);
    }
  });

  it('rejects both options at once', () => {
    expect(() => resolveExpiry({ expiresInDays: 7, expiresOn: '2027-01-01' }, at('2026-11-23T00:00:00Z'))).toThrow(/not both/);
  });
});

describe('isExpired', () => {
  const expiresAt = resolveExpiry({ expiresOn: '2027-03-01' }, at('2026-11-23T00:00:00Z')).expiresAt;

  it('works at D-1 23:59:59.999Z and stops at D 00:00:00.000Z', () => {
    expect(isExpired(expiresAt, new Date('2027-02-28T23:59:59.999Z'))).toBe(false);
    expect(isExpired(expiresAt, new Date('2027-03-01T00:00:00.000Z'))).toBe(true);
  });

  it('never expires a key without an expiry', () => {
    expect(isExpired(null, new Date('9999-12-31T00:00:00Z'))).toBe(false);
  });
});

describe('parseIsoDate', () => {
  it('reads real dates only', () => {
    expect(parseIsoDate('2024-02-29')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(parseIsoDate('2100-02-29')).toBeUndefined();
  });
});
