import type { NoticeJob, NoticeRunResult } from '../core/notices/notice-job';
import { describeError, type Logger } from '../core/support/logger';

/**
 * The daily schedule's target: runs the notice job (today, and any day missed) and logs what it
 * wrote. A failure is logged and thrown, so the scheduler's retry (or tomorrow's run, which
 * catches up) runs the day again; notices already written are not written twice.
 */
export function createNoticesHandler(job: Pick<NoticeJob, 'run'>, logger: Logger) {
  return async (): Promise<NoticeRunResult> => {
    try {
      const result = await job.run();
      logger.info('notices run', {
        days: result.days.join(','),
        written: JSON.stringify(result.written),
        skipped: result.skipped,
      });
      return result;
    } catch (error) {
      logger.error('notices run failed', describeError(error));
      throw error;
    }
  };
}
