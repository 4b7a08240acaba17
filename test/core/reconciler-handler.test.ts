import type { SQSEvent } from 'aws-lambda';
import type { PlanReconciler } from '../../lambdas/core/plans/plan-reconciler';
import { createReconcilerHandler } from '../../lambdas/reconciler/handler';
import { recordingLogger } from '../support/fixtures';

function handlerOver(outcomes: Record<string, 'applied' | Error>) {
  const seen: string[] = [];
  const reconciler = {
    reconcile: async (tenantId: string) => {
      seen.push(tenantId);
      const outcome = outcomes[tenantId] ?? 'applied';
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  } as unknown as PlanReconciler;
  const logger = recordingLogger();
  const handler = createReconcilerHandler(reconciler, logger);
  const deliver = (...bodies: string[]) =>
    handler({ Records: bodies.map((body, i) => ({ messageId: `m${i}`, body })) } as SQSEvent);
  return { deliver, seen, logger };
}

describe('the reconcile queue consumer', () => {
  it('reconciles each tenant in order', async () => {
    const { deliver, seen } = handlerOver({});
    const result = await deliver('{"tenantId":"a"}', '{"tenantId":"b"}');
    expect(result.batchItemFailures).toEqual([]);
    expect(seen).toEqual(['a', 'b']);
  });

  it('stops at the first failure and reports it and every later message, so the FIFO order holds', async () => {
    const { deliver, seen, logger } = handlerOver({ b: new Error('TooManyRequestsException') });
    const result = await deliver('{"tenantId":"a"}', '{"tenantId":"b"}', '{"tenantId":"c"}');
    expect(seen).toEqual(['a', 'b']);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm1' }, { itemIdentifier: 'm2' }]);
    expect(logger.text()).toContain('plan reconciliation failed; it will be retried');
  });

  it('drops a malformed request instead of blocking the queue with it', async () => {
    const { deliver, seen, logger } = handlerOver({});
    const result = await deliver('not json', '{"tenant":"a"}', '{"tenantId":"b"}');
    expect(result.batchItemFailures).toEqual([]);
    expect(seen).toEqual(['b']);
    expect(logger.text()).toContain('malformed reconcile request dropped');
  });
});
