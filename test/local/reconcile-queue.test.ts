import type { PlanReconciler } from '../../lambdas/core/plans/plan-reconciler';
import { LocalReconcileQueue } from '../../local/reconcile-queue';
import { recordingLogger } from '../support/fixtures';

/** A reconciler that records the tenants it was asked for, answering at once. */
function recordingReconciler(onReconcile: (tenantId: string) => void = () => undefined) {
  const done: string[] = [];
  const reconciler = {
    reconcile: async (tenantId: string) => {
      done.push(tenantId);
      onReconcile(tenantId);
    },
  } as unknown as PlanReconciler;
  return { reconciler, done };
}

/** Lets `turns` turns of the microtask queue pass. */
async function turns(count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) await Promise.resolve();
}

describe('the local plan reconcile queue', () => {
  it('runs every request, even one that arrives while the drain is ending (any microtask turn)', async () => {
    for (let delay = 0; delay < 12; delay += 1) {
      const later: { queue?: LocalReconcileQueue } = {};
      const { reconciler, done } = recordingReconciler((tenantId) => {
        // the second request lands some turns after the first reconcile returns, which is
        // where a drain that has just found its queue empty has not yet let go of `running`.
        if (tenantId === 'first') void turns(delay).then(() => later.queue?.request('second'));
      });
      const queue = new LocalReconcileQueue(reconciler, recordingLogger());
      later.queue = queue;
      await queue.request('first');
      await turns(20);
      await queue.idle();
      expect({ delay, done }).toEqual({ delay, done: ['first', 'second'] });
    }
  });

  it('reconciles a tenant requested twice while it waits once', async () => {
    let release: () => void = () => undefined;
    const done: string[] = [];
    const reconciler = {
      reconcile: async (tenantId: string) => {
        done.push(tenantId);
        if (tenantId === 'busy') await new Promise<void>((resolve) => (release = resolve));
      },
    } as unknown as PlanReconciler;
    const queue = new LocalReconcileQueue(reconciler, recordingLogger());
    await queue.request('busy');
    await queue.request('acme');
    await queue.request('acme');
    release();
    await queue.idle();
    expect(done).toEqual(['busy', 'acme']);
  });
});

describe('waiting for the local plan reconcile queue', () => {
  it('fails, naming the tenant and its last error, when its reconciliation fails on every retry', async () => {
    const reconciler = {
      reconcile: async (tenantId: string) => {
        throw new Error(`BadRequestException: Cannot delete Usage Plan of ${tenantId}`);
      },
    } as unknown as PlanReconciler;
    const logger = recordingLogger();
    const queue = new LocalReconcileQueue(reconciler, logger, { retryMs: 1, failuresBeforeStuck: 3 });
    await queue.request('acme');

    const waited = queue.idle();

    await expect(waited).rejects.toThrow(
      /tenant acme failed \d+ times in a row; last error: .*Cannot delete Usage Plan of acme/,
    );
    // each failure is logged with its attempt and when it is retried.
    expect(logger.lines.filter((line) => line.message === 'plan reconciliation failed; retrying')).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fields: expect.objectContaining({ tenantId: 'acme', attempt: 1, retryInMs: 1 }) }),
        expect.objectContaining({ fields: expect.objectContaining({ tenantId: 'acme', attempt: 2, retryInMs: 1 }) }),
      ]),
    );
    queue.stop();
  });

  it('fails, naming the tenant, when its reconciliation never settles', async () => {
    const reconciler = {
      reconcile: () => new Promise<never>(() => undefined),
    } as unknown as PlanReconciler;
    const queue = new LocalReconcileQueue(reconciler, recordingLogger(), { runTimeoutMs: 50 });
    await queue.request('acme');

    await expect(queue.idle()).rejects.toThrow(/tenant acme is still running after \d+ ms/);
    queue.stop();
  });

  it('waits for a reconciliation that fails once and then succeeds', async () => {
    let calls = 0;
    const reconciler = {
      reconcile: async () => {
        calls += 1;
        if (calls === 1) throw new Error('TooManyRequestsException');
      },
    } as unknown as PlanReconciler;
    const queue = new LocalReconcileQueue(reconciler, recordingLogger(), { retryMs: 1, failuresBeforeStuck: 3 });
    await queue.request('acme');

    await queue.idle();

    expect(calls).toBe(2);
  });
});
