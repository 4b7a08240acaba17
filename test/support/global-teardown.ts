import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';

/** Stops the run's DynamoDB Local by its own handle, so no java process outlives jest; prints the leak scan's totals. */
export default async function globalTeardown(): Promise<void> {
  const dynamodb = globalThis.__KEYGATE_DYNAMODB__;
  // each layer with the setup calls the teardown too: the first call stops it and reports.
  if (dynamodb === undefined) return;
  globalThis.__KEYGATE_DYNAMODB__ = undefined;
  await dynamodb.stop();
  const report = process.env.KEYGATE_LEAK_REPORT;
  if (report === undefined || !existsSync(report)) return;
  const rows = readFileSync(report, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, number>);
  const sum = (field: string): number => rows.reduce((total, row) => total + row[field], 0);
  process.stdout.write(
    `leak scan: ${sum('logLines')} log lines and ${sum('responses')} answers in ${rows.length} files, ` +
      `against ${sum('secrets')} keys and ${sum('authorizations')} Authorization values: no secret found\n`,
  );
  rmSync(dirname(report), { recursive: true, force: true });
}
