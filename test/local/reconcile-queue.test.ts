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
