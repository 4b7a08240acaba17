import { buildElements, ELEMENT_GZIP_BUDGET, type BuiltElement } from '../../local/http/elements';

let element: BuiltElement;

beforeAll(async () => {
  [element] = (await buildElements()).filter((built) => built.name === 'keygate-api-keys');
});

test('<keygate-api-keys> is one ES module of at most 35 kB gzip, measured', () => {
  expect(ELEMENT_GZIP_BUDGET).toBe(35 * 1024);
  expect(element.gzipBytes).toBeGreaterThan(0);
  expect(element.gzipBytes).toBeLessThanOrEqual(ELEMENT_GZIP_BUDGET);
});

test('it imports nothing: lit is bundled, so one script tag loads it', () => {
  expect(element.code).not.toMatch(/\bimport\s*[("'{*]|\bfrom\s*["']/);
});

test('it needs neither eval nor any other origin, so it runs under script-src self', () => {
  expect(element.code).not.toMatch(/\beval\(|new Function\(/);
  expect(element.code).not.toMatch(/https?:\/\//);
});
