import { noCache } from '../../lambdas/core/auth/cache';
import type { KeyFormat } from '../../lambdas/core/keys/format';
import { buildKey } from '../../lambdas/core/keys/new-key';
import { expiryAt } from '../../lambdas/core/keys/expiry';
import { LeakService, type LeakStore } from '../../lambdas/core/leaks/leak-service';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

const POSTCO: KeyFormat = { prefix: 'sk', environment: false, checksum: false };
const DEFAULT: KeyFormat = { prefix: 'sk', environment: true, checksum: true };

describe('leak reports under configured key formats', () => {
  const now = new Date(instant(0, '10:00'));
  const postco = buildKey({
    prefix: 'sk',
    keyFormat: POSTCO,
    tenant: tenantFixture(),
    name: 'postco',
    environment: 'test',
    role: 'developer',
    expiry: expiryAt(null),
    now,
  });
  const old = keyFixture();
  const reads: string[] = [];
  const store: LeakStore = {
    getKey: async (id) => {
      reads.push(id);
      return [postco.item, old.item].find((key) => key.id === id);
    },
    markLeaked: async () => true,
  };
  const leaks = new LeakService({
    store,
    prefix: 'sk',
    formats: [POSTCO, DEFAULT],
    policy: 'notify',
    clock: fixedClock(now.toISOString()),
    cache: noCache,
    logger: recordingLogger(),
  });

  it('finds a key of the current format and one of an accepted older format; the environment stays on the record', async () => {
    expect(postco.plaintext).toMatch(/^sk_[0-9a-f]{64}$/);
    expect(postco.item.environment).toBe('test');
    expect(await leaks.report(postco.plaintext, {}, { system: 'github' })).toMatchObject({
      label: 'true_positive',
      keyId: postco.item.id,
    });
    expect(await leaks.report(old.plaintext, {}, { system: 'github' })).toMatchObject({
      label: 'true_positive',
      keyId: old.item.id,
    });
  });

  it('refuses any other shape without a read', async () => {
    reads.length = 0;
    for (const token of [`sk_${'A'.repeat(64)}`, `sk_${'a'.repeat(63)}`, `pk_${'a'.repeat(64)}`]) {
      expect(await leaks.report(token, {}, { system: 'github' })).toEqual({ label: 'false_positive' });
    }
    expect(reads).toEqual([]);
  });
});
