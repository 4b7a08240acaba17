import { marshall } from '@aws-sdk/util-dynamodb';
import { authorizerFromEnvironment } from '../../lambdas/authorizer/from-environment';
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { Unauthorized } from '../../lambdas/core/auth/authorize';
import { defaultFormatFor, tokenValidationPatternFor } from '../../lambdas/core/keys/format';
import { mintSessionToken } from '../../lambdas/core/sessions/token';
import { ENV } from '../../lambdas/runtime/env-names';
import { AUTHORIZER_ENVIRONMENT, keyFixture, rawKeyItem, recordingLogger } from '../support/fixtures';
import { fixedClock, instant } from '../support/time';

/**
 * The keys-only authorizer of the front door, `addRoute` routes and every other API: it takes
 * keys as keygate's own does, and refuses every session token (an operator's too) before any read,
 * so no cached session Allow can ever reach the team's backend.
 */
const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const session = mintSessionToken().plaintext;

function keysOnly() {
  const reads: string[] = [];
  const logger = recordingLogger();
  const { item, plaintext } = keyFixture();
  const handler = createAuthorizerHandler({
    store: { getKey: async (id) => (reads.push(id), id === item.id ? item : undefined) },
    prefix: 'sk',
    acceptBareKeys: true,
    clock: fixedClock(instant(0, '10:00')),
    logger,
    lastUse: { record: () => undefined },
  });
  const call = (token: string, path: string) =>
    handler({ type: 'TOKEN', authorizationToken: token, methodArn: `${STAGE}/GET${path}` });
  return { call, reads, logger, key: plaintext };
}

describe('the keys-only decision', () => {
  it.each(['/v1/panel/made/up/path', '/v1/panel/tenants/t1/bogus', '/v1/keys/a/b', '/anything', '/v1/keys'])(
    'refuses a session token on %s, bare or Bearer, with no read and the reason logged',
    async (path) => {
      const { call, reads, logger } = keysOnly();
      for (const token of [`Bearer ${session}`, `bearer ${session}`, session])
        await expect(call(token, path)).rejects.toThrow(Unauthorized);
      expect(reads).toEqual([]);
      expect(logger.lines.map((line) => line.fields?.reason)).toEqual(['session', 'session', 'session']);
      // the token is never logged.
      expect(logger.text()).not.toContain(session.slice(4));
    },
  );

  it('takes a key there, with one read', async () => {
    const { call, reads, key } = keysOnly();
    const allowed = await call(`Bearer ${key}`, '/v1/panel/made/up/path');
    expect(allowed.policyDocument.Statement.some((s) => s.Effect === 'Allow')).toBe(true);
    expect(reads).toHaveLength(1);
  });

  it("refuses a session token by its shape in API Gateway's expression, and takes keys", () => {
    const formats = [defaultFormatFor('sk')];
    const keys = new RegExp(tokenValidationPatternFor(formats, true, 'keys'));
    const both = new RegExp(tokenValidationPatternFor(formats, true));
    const { plaintext } = keyFixture();
    for (const token of [`Bearer ${session}`, session]) {
      expect(keys.test(token)).toBe(false);
      expect(both.test(token)).toBe(true);
    }
    for (const token of [`Bearer ${plaintext}`, plaintext]) {
      expect(keys.test(token)).toBe(true);
      expect(both.test(token)).toBe(true);
    }
  });
});

describe('the authorizer Lambda from its environment', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  /** The Lambda's handler over a table the session's read would find, counting its calls. */
  function lambdaWith(extra: Record<string, string>) {
    Object.assign(process.env, AUTHORIZER_ENVIRONMENT);
    delete process.env[ENV.acceptSessions];
    Object.assign(process.env, extra);
    const calls: string[] = [];
    const stored = marshall(rawKeyItem(keyFixture().item), { removeUndefinedValues: true });
    const handler = authorizerFromEnvironment(() => ({
      call: async (operation: string) => (calls.push(operation), operation === 'GetItem' ? { Item: stored } : {}),
    }));
    const call = () =>
      handler({ type: 'TOKEN', authorizationToken: `Bearer ${session}`, methodArn: `${STAGE}/GET/v1/keys` });
    return { call, calls };
  }

  it.each<Record<string, string>>([{}, { [ENV.acceptSessions]: 'false' }])(
    'is keys-only unless told otherwise (%j)',
    async (extra) => {
      const { call, calls } = lambdaWith(extra);
      await expect(call()).rejects.toThrow(Unauthorized);
      expect(calls).toEqual([]);
    },
  );

  it(`reads the session when ${ENV.acceptSessions} is true`, async () => {
    const { call, calls } = lambdaWith({ [ENV.acceptSessions]: 'true' });
    // the stored item is a key's, not this session's: refused, but only after the session's read.
    await expect(call()).rejects.toThrow(Unauthorized);
    expect(calls).toEqual(['GetItem']);
  });
});
