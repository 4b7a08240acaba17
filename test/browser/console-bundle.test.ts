import { buildConsole, CONSOLE_GZIP_BUDGET, type BuiltConsole } from '../../local/http/console';

let built: BuiltConsole;

beforeAll(async () => {
  built = await buildConsole();
});

test('the console first loads at most 150 kB gzip all told (its page and its one script), measured', () => {
  expect(CONSOLE_GZIP_BUDGET).toBe(150 * 1024);
  expect(built.script.gzipBytes).toBeGreaterThan(0);
  expect(built.firstLoadGzipBytes).toBeGreaterThan(built.script.gzipBytes);
  expect(built.firstLoadGzipBytes).toBeLessThanOrEqual(CONSOLE_GZIP_BUDGET);
});

test('its page loads one script of its own origin and nothing inline; the script imports nothing and needs no eval', () => {
  expect(built.html.match(/<script\b[^>]*>/g)).toEqual(['<script type="module" src="/console/app.js">']);
  expect(built.html).not.toMatch(/<style|\sstyle=|\son\w+=/);
  expect(built.script.code).not.toMatch(/\bimport\s*[("'{*]|\bfrom\s*["']/);
  expect(built.script.code).not.toMatch(/\beval\(|new Function\(/);
  expect(built.script.code).not.toMatch(/https?:\/\//);
});
