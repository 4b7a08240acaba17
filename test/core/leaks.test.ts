import { noCache } from '../../lambdas/core/auth/cache';
import type { KeygateEvent } from '../../lambdas/core/events/model';
import { FetchedGithubKeys, staticGithubKeys } from '../../lambdas/core/leaks/github';
import { LeakService, leakPolicyFrom, type LeakPolicy, type LeakStore } from '../../lambdas/core/leaks/leak-service';
import type { KeyItem } from '../../lambdas/core/model';
import { fixedClock, keyFixture, recordingLogger } from '../support/fixtures';
import { instant } from '../support/time';

/** A leak store in memory that counts its reads and keeps what it wrote; it writes while a key is not revoked by a leak. */
function fakeStore(keys: KeyItem[]) {
  const reads: string[] = [];
  const marked = new Map<string, { revoke: boolean; event: KeygateEvent }>();
  const store: LeakStore = {
    getKey: async (id) => {
      reads.push(id);
      return keys.find((key) => key.id === id);
    },
    markLeaked: async (id, _hash, revoke, _at, event) => {
      if (marked.get(id)?.revoke === true) return false;
      marked.set(id, { revoke, event });
      return true;
    },
  };
  return { store, reads, marked };
}

function service(store: LeakStore, policy: LeakPolicy = 'revoke') {
  const logger = recordingLogger();
  return {
    leaks: new LeakService({
      store,
      prefix: 'sk',
      policy,
      clock: fixedClock(instant(0, '10:00')),
      cache: noCache,
      logger,
    }),
    logger,
  };
}

describe('LeakService', () => {
  const { item, plaintext } = keyFixture();

  it('labels a wrong checksum, a wrong shape and a foreign prefix false_positive without reading anything', async () => {
    const { store, reads, marked } = fakeStore([item]);
    const { leaks } = service(store);
    const wrongChecksum = plaintext.slice(0, -1) + (plaintext.endsWith('0') ? '1' : '0');
    for (const token of [wrongChecksum, 'sk_live_short', `pk${plaintext.slice(2)}`, `ghp_${'a'.repeat(36)}`, '']) {
      expect(await leaks.report(token, {}, { system: 'github' })).toEqual({ label: 'false_positive' });
    }
    expect(reads).toEqual([]);
    expect(marked.size).toBe(0);
  });

  it('labels a well-formed key nobody has false_positive after one read', async () => {
    const { store, reads } = fakeStore([]);
    const { leaks } = service(store);
    expect(await leaks.report(plaintext, {}, { system: 'github' })).toEqual({ label: 'false_positive' });
    expect(reads).toEqual([item.id]);
  });

  it('revokes under the revoke policy, with key.leaked naming the url and never the key', async () => {
    const { store, marked } = fakeStore([item]);
    const { leaks, logger } = service(store);
    const outcome = await leaks.report(
      plaintext,
      { url: 'https://github.com/a/b', source: 'content' },
      { system: 'github' },
    );
    expect(outcome).toEqual({ label: 'true_positive', keyId: item.id, tenantId: item.tenantId, action: 'revoked' });
    const { revoke, event } = marked.get(item.id)!;
    expect(revoke).toBe(true);
    expect(event).toMatchObject({
      type: 'key.leaked',
      keyId: item.id,
      actor: { system: 'github' },
      details: { url: 'https://github.com/a/b', action: 'revoked' },
    });
    for (const text of [JSON.stringify(event), logger.text()]) {
      expect(text).not.toContain(plaintext.slice(8, 72));
      expect(text).not.toContain(item.hash);
    }
  });

  it('leaves the key working under the notify policy, and notifies again on a repeat', async () => {
    const { store, marked } = fakeStore([item]);
    const { leaks } = service(store, 'notify');
    expect((await leaks.report(plaintext, {}, { system: 'github' })).action).toBe('notified');
    expect(marked.get(item.id)?.revoke).toBe(false);
    expect((await leaks.report(plaintext, {}, { system: 'github' })).action).toBe('notified');
  });

  it('reports a repeat of a revoked key as already reported', async () => {
    const { store } = fakeStore([item]);
    const { leaks } = service(store);
    await leaks.report(plaintext, {}, { system: 'github' });
    expect(await leaks.report(plaintext, {}, { system: 'github' })).toMatchObject({
      label: 'true_positive',
      action: 'already_reported',
    });
  });

  it('reads the policy setting strictly', () => {
    expect(leakPolicyFrom(undefined, 'x')).toBe('revoke');
    expect(leakPolicyFrom('notify', 'x')).toBe('notify');
    expect(() => leakPolicyFrom('ignore', 'keygate:onLeak')).toThrow(
      'keygate:onLeak must be one of revoke, notify, received "ignore"',
    );
  });
});

describe('GitHub public keys', () => {
  const meta = (ids: string[]) => ({
    public_keys: ids.map((id) => ({ key_identifier: id, key: `PEM ${id}`, is_current: true })),
  });

  it('fails loudly on a setting not in the meta endpoint shape', () => {
    expect(() => staticGithubKeys('{"keys": []}')).toThrow(/meta endpoint/);
    expect(() => staticGithubKeys('not json')).toThrow(/meta endpoint/);
  });

  it('fetches once, serves from the cache, and refetches for an unknown id at most once a minute', async () => {
    let now = 0;
    let fetches = 0;
    const keys = new FetchedGithubKeys(
      async () => {
        fetches += 1;
        return meta(fetches === 1 ? ['a'] : ['a', 'b']);
      },
      () => now,
    );
    expect(await keys.find('a')).toBe('PEM a');
    expect(await keys.find('a')).toBe('PEM a');
    expect(await keys.find('b')).toBeUndefined(); // unknown, but fetched just now
    expect(fetches).toBe(1);
    now = 61_000;
    expect(await keys.find('b')).toBe('PEM b');
    expect(await keys.find('zzz')).toBeUndefined();
    expect(fetches).toBe(2);
  });
});
