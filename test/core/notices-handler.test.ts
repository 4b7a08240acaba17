import { createNoticesHandler } from '../../lambdas/notices/handler';
import { recordingLogger } from '../support/fixtures';
import { day } from '../support/time';

describe('the notices Lambda handler', () => {
  it('runs the job and logs the days and counts it wrote', async () => {
    const logger = recordingLogger();
    const result = { days: [day(0)], written: { 'key.stale': 2 }, skipped: 1 };
    const handler = createNoticesHandler({ run: async () => result }, logger);

    expect(await handler()).toEqual(result);
    expect(logger.lines).toEqual([
      { level: 'INFO', message: 'notices run', fields: { days: day(0), written: '{"key.stale":2}', skipped: 1 } },
    ]);
  });

  it('logs and rethrows a failed run, so the schedule retries it', async () => {
    const logger = recordingLogger();
    const handler = createNoticesHandler({ run: async () => Promise.reject(new Error('throttled')) }, logger);

    await expect(handler()).rejects.toThrow('throttled');
    expect(logger.lines[0]).toMatchObject({ level: 'ERROR', message: 'notices run failed' });
  });
});
