import type { AccessRecord } from '../../lambdas/core/usage/access-record';
import { formatAccessRecord } from '../../lambdas/core/usage/access-record';
import { UsageRecorder } from '../../local/usage-recorder';
import { recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

const line = (n: number): string =>
  formatAccessRecord({
    requestId: `r-${n}`,
    requestTimeEpoch: Date.parse(instant(0, '10:00')),
    stage: 'prod',
    ip: '127.0.0.1',
    method: 'GET',
    resource: '/v1/me',
    status: 200,
    latencyMs: 3,
    keyId: 'k1',
    tenantId: 'acme',
  });

describe('UsageRecorder', () => {
  it('hands the aggregator batches of at most maxBatch parsed records, and ignores lines that are not records', async () => {
    const batches: (readonly AccessRecord[])[] = [];
    const recorder = new UsageRecorder({
      aggregate: async (records) => void batches.push(records),
      logger: recordingLogger(),
      maxBatch: 3,
    });
    for (let n = 0; n < 7; n += 1) recorder.record(line(n));
    recorder.record('not a record');
    await recorder.flush();
    expect(batches.map((batch) => batch.map((r) => r.requestId))).toEqual([
      ['r-0', 'r-1', 'r-2'],
      ['r-3', 'r-4', 'r-5'],
      ['r-6'],
    ]);
  });

  it('keeps a failed batch and tries exactly it again, never throwing to the request that recorded', async () => {
    const tries: string[][] = [];
    let failing = true;
    const logger = recordingLogger();
    const recorder = new UsageRecorder({
      aggregate: async (records) => {
        tries.push(records.map((r) => r.requestId));
        if (failing) throw new Error('table unreachable');
      },
      logger,
      maxBatch: 10,
    });
    recorder.record(line(1));
    recorder.record(line(2));
    await recorder.flush();
    recorder.record(line(3));
    failing = false;
    await recorder.flush();
    expect(tries).toEqual([['r-1', 'r-2'], ['r-1', 'r-2'], ['r-3']]);
    expect(logger.text()).toContain('usage batch failed');
  });
});
