import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * No test names a calendar date near "now": such a test passes today and fails when the calendar
 * reaches it. Tests build instants with `test/support/time.ts`, relative to their injected clock
 * or to the real one. The rule does not read today's date: any year from 2020 to 2079 counts as
 * near, so it gives the same answer on any day. Dates in far years stay allowed, for calendar
 * facts such as a leap day in 2004 or a Saturday in 2003.
 */
const NEAR_YEAR = '20[2-7]\\d';
const MONTH = '(?:0[1-9]|1[0-2])';
const NEAR_DATES: readonly RegExp[] = [
  // ISO: 2031-05-17, 2031-05-17T08:00:00Z, a month 2031-05 (not JSON Schema's "draft 2020-12").
  new RegExp(`(?<![\\d])(?<!draft )${NEAR_YEAR}-${MONTH}(?:-\\d{2}(?:T[\\d:.]+Z?)?)?(?![\\d])`, 'g'),
  // compact, as SigV4 and file names write it: 20310517T080000Z, 20310517.
  new RegExp(`(?<![\\d])${NEAR_YEAR}${MONTH}(?:0[1-9]|[12]\\d|3[01])(?:T\\d{6}Z?)?(?![\\d])`, 'g'),
  // HTTP and access-log dates: Mon, 17 May 2031 08:00:00 GMT; 17/May/2031:08:00:00.
  new RegExp(`\\d{1,2}[ /-](?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[ /-]${NEAR_YEAR}(?![\\d])`, 'g'),
  // Date.UTC(2031, 4, 17) and new Date(2031, 4, 17).
  new RegExp(`(?:Date\\.UTC|new Date)\\(\\s*${NEAR_YEAR}\\s*,`, 'g'),
];

/** Where a near date may be named: the helper that defines the base instant, and this check. */
const ALLOWED = new Set(['test/support/time.ts', 'test/house/dates.test.ts']);

const ROOT = join(__dirname, '..', '..');

/** The near dates in a text, each with its line. */
export function nearDates(text: string): { line: number; date: string }[] {
  const found: { line: number; date: string }[] = [];
  text.split('\n').forEach((line, i) => {
    for (const pattern of NEAR_DATES)
      for (const match of line.matchAll(pattern)) found.push({ line: i + 1, date: match[0] });
  });
  return found;
}

/** Every source file under a folder. */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : files(path);
    return /\.(ts|tsx|js|mjs|cjs|json)$/.test(entry.name) ? [path] : [];
  });
}

describe('dates in tests', () => {
  it('names no calendar date near now outside test/support/time.ts', () => {
    const offenders = files(join(ROOT, 'test'))
      .map((path) => relative(ROOT, path).split('\\').join('/'))
      .filter((path) => !ALLOWED.has(path))
      .flatMap((path) =>
        nearDates(readFileSync(join(ROOT, path), 'utf8')).map(({ line, date }) => `${path}:${line}: ${date}`),
      );
    expect(offenders).toEqual([]);
  });

  // the samples are assembled so that this file holds no near date of its own.
  const year = (offset: number) => String(2020 + offset);
  it.each([
    [`expiresAt: '${year(6)}-11-30T00:00:00.000Z'`, `${year(6)}-11-30T00:00:00.000Z`],
    [`expiresOn: '${year(7)}-03-01'`, `${year(7)}-03-01`],
    [`query: { month: '${year(40)}-02' }`, `${year(40)}-02`],
    [`const ttl = Date.UTC(${year(6)}, 10, 30) / 1000;`, `Date.UTC(${year(6)},`],
    [`const at = new Date(${year(59)}, 0, 1);`, `new Date(${year(59)},`],
    [`'x-amz-date': '${year(6)}1123T100000Z'`, `${year(6)}1123T100000Z`],
    [`'retry-after': 'Mon, 23 Nov ${year(6)} 10:00:05 GMT'`, `23 Nov ${year(6)}`],
    [`requestTime: '09/Apr/${year(5)}:12:34:56 +0000'`, `09/Apr/${year(5)}`],
  ])('finds a planted date in %s', (line, date) => {
    expect(nearDates(`const a = 1;\n${line}\n`)).toEqual([{ line: 2, date }]);
  });

  it.each([
    "const base = '2001-11-23T10:00:00.000Z';",
    "expect(parseIsoDate('2004-02-29')).toBeDefined();",
    "fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z') })",
    '// draft 2020-12 is the schema dialect.',
    "'retry-after': 'Fri, 23 Nov 2001 10:00:05 GMT'",
    "const id = 'key_000000000000000000002026';",
    'const count = 12_026;',
  ])('passes a far date or a number that only looks like one: %s', (line) => {
    expect(nearDates(line)).toEqual([]);
  });
});
