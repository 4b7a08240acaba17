import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { LocalGateway } from '../../local/gateway';
import type { Route } from '../../lambdas/core/http/routes';
import { DEADLINES } from '../support/deadlines';
import { instant } from '../support/time';

const KEY = `sk_live_${'a'.repeat(72)}`;
const ROUTES: Route[] = [{ method: 'GET', path: '/v1/me', function: 'account' }];

function allow(event: APIGatewayTokenAuthorizerEvent): APIGatewayAuthorizerResult {
  const base = event.methodArn.split('/').slice(0, 2).join('/');
  return {
    principalId: 'key_1',
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: [`${base}/*/*`] }],
    },
    context: { tenantId: 't', keyId: 'key_1', environment: 'live', role: 'owner', plan: 'scale' },
  };
}

/** A gateway whose authorizer answers only when the test says so, and counts its calls. */
async function gatewayWithHeldAuthorizer(now: () => number = Date.now) {
  const held: (() => void)[] = [];
  // whoever waits for the next call to reach the authorizer.
  let arrived: (() => void) | undefined;
  let calls = 0;
  let revoked = false;
  const gateway = new LocalGateway({
    routes: ROUTES,
    handlers: {
      account: async () => ({ statusCode: 200, body: '{}' }),
      keys: async () => ({ statusCode: 500, body: '' }),
      panel: async () => ({ statusCode: 500, body: '' }),
      events: async () => ({ statusCode: 500, body: '' }),
      leaks: async () => ({ statusCode: 500, body: '' }),
    },
    authorizer: async (event) => {
      calls += 1;
      // the key is read now, as the real authorizer reads it first thing.
      const readWhileValid = !revoked;
      const answer = new Promise<void>((resolve) => held.push(resolve));
      arrived?.();
      await answer;
      if (!readWhileValid) throw new Error('Unauthorized');
      return allow(event);
    },
    identityValidation: /^.*$/,
    // no route here is the front door's or an added one.
    keysOnly: { authorizer: async () => Promise.reject(new Error('Unauthorized')), identityValidation: /^.*$/ },
    cacheTtlMs: 300_000,
    log: () => undefined,
    now,
  });
  const { url } = await gateway.listen(0);
  const me = (authorization = `Bearer ${KEY}`) =>
    fetch(`${url}/v1/me`, { headers: { authorization } }).then((r) => r.status);
  /** Waits until a call has reached the authorizer; fails when none does in time (a cache hit). */
  const reached = async (): Promise<void> => {
    if (held.length > 0) return;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        arrived = resolve;
        timer = setTimeout(
          () => reject(new Error('the authorizer was not called: the request was served from the cache')),
          DEADLINES.request,
        );
      });
    } finally {
      arrived = undefined;
      clearTimeout(timer);
    }
  };
  /** Lets the oldest held call answer, once it has reached the authorizer. */
  const release = async (): Promise<void> => {
    await reached();
    held.shift()?.();
  };
  return { gateway, me, reached, release, revoke: () => (revoked = true), calls: () => calls };
}

describe('the local gateway cache under a flush that lands mid-authorization', () => {
  it('does not cache an Allow computed before a flush that came while the call was in flight', async () => {
    const { gateway, me, reached, release, revoke, calls } = await gatewayWithHeldAuthorizer();
    try {
      const inFlight = me(); // the authorizer reads the key while it is still valid...
      await reached();
      revoke(); // ...the key is revoked and the cache flushed...
      gateway.flushAuthorizerCache();
      await release(); // ...and then the stale Allow comes back.
      expect(await inFlight).toBe(200); // that one request was let in, as in API Gateway.

      const next = me();
      await release();
      expect(await next).toBe(401); // the next request asked the authorizer again.
      expect(calls()).toBe(2);
    } finally {
      await gateway.close();
    }
  });

  it('caches an Allow when no flush came while the call was in flight', async () => {
    const { gateway, me, release, calls } = await gatewayWithHeldAuthorizer();
    try {
      const first = me();
      await release();
      expect(await first).toBe(200);
      expect(await me()).toBe(200);
      expect(calls()).toBe(1);
    } finally {
      await gateway.close();
    }
  });

  it('flushes at a scheduled time on its own clock, to the millisecond', async () => {
    let time = Date.parse(instant(0, '10:00'));
    const { gateway, me, release, calls } = await gatewayWithHeldAuthorizer(() => time);
    try {
      gateway.scheduleAuthorizerCacheFlush(new Date(instant(0, '10:04'))); // inside the 300 s TTL.
      const first = me();
      await release();
      await first;
      time = Date.parse(instant(0, '10:03:59.999'));
      expect(await me()).toBe(200);
      expect(calls()).toBe(1); // still cached.
      time = Date.parse(instant(0, '10:04'));
      const after = me();
      await release();
      await after;
      expect(calls()).toBe(2); // the scheduled flush emptied the cache.
    } finally {
      await gateway.close();
    }
  });

  it('flushes at 00:00 UTC without being told', async () => {
    let time = Date.parse(instant(0, '23:59:59'));
    const { gateway, me, release, calls } = await gatewayWithHeldAuthorizer(() => time);
    try {
      const first = me();
      await release();
      await first;
      time = Date.parse(instant(1));
      const after = me();
      await release();
      await after;
      expect(calls()).toBe(2);
    } finally {
      await gateway.close();
    }
  });
});
