import { ROLES, type Environment, type Role } from '../../lambdas/core/keys/format';
import { policyFor } from '../../lambdas/core/auth/policy';
import { isAllowed, resourceMatches } from '../../local/policy';

const STAGE = 'arn:aws:execute-api:local:000000000000:keygate/prod';
const arn = (method: string, path: string): string => `${STAGE}/${method}${path}`;

const allow = (Resource: unknown, Action: unknown = 'execute-api:Invoke'): Record<string, unknown> => ({
  Effect: 'Allow',
  Action,
  Resource,
});
const deny = (Resource: unknown): Record<string, unknown> => ({
  Effect: 'Deny',
  Action: 'execute-api:Invoke',
  Resource,
});
const doc = (...Statement: unknown[]): Record<string, unknown> => ({ Version: '2012-10-17', Statement });

describe('resourceMatches', () => {
  it('matches an identical ARN', () => {
    expect(resourceMatches(arn('GET', '/v1/me'), arn('GET', '/v1/me'))).toBe(true);
  });

  it('lets * match a run of characters across slashes', () => {
    expect(resourceMatches(`${STAGE}/*`, arn('POST', '/v1/keys/key_1/revoke'))).toBe(true);
    expect(resourceMatches(`${STAGE}/*/*`, arn('GET', '/v1/me'))).toBe(true);
    expect(resourceMatches(`${STAGE}/POST/v1/keys/*`, arn('POST', '/v1/keys/key_1/revoke'))).toBe(true);
  });

  it('lets * match the empty run', () => {
    expect(resourceMatches(`${STAGE}/POST/v1/keys/*`, arn('POST', '/v1/keys/'))).toBe(true);
    expect(resourceMatches('arn:aws:execute-api:*', 'arn:aws:execute-api:')).toBe(true);
  });

  it('lets * stand for region, account and api id', () => {
    expect(resourceMatches('arn:aws:execute-api:*:*:*/prod/GET/v1/me', arn('GET', '/v1/me'))).toBe(true);
    expect(resourceMatches('*', arn('GET', '/v1/me'))).toBe(true);
  });

  it('lets ? match exactly one character', () => {
    expect(resourceMatches(`${STAGE}/GET/v1/k?ys`, arn('GET', '/v1/keys'))).toBe(true);
    expect(resourceMatches(`${STAGE}/GET/v1/k?ys`, arn('GET', '/v1/kys'))).toBe(false);
    expect(resourceMatches(`${STAGE}/GET/v1/k?ys`, arn('GET', '/v1/keeys'))).toBe(false);
  });

  it('does not match a longer ARN without a trailing wildcard (anchored at the end)', () => {
    expect(resourceMatches(arn('POST', '/v1/keys'), arn('POST', '/v1/keys/key_1/revoke'))).toBe(false);
  });

  it('does not match when the pattern only occurs inside the ARN (anchored at the start)', () => {
    expect(resourceMatches('GET/v1/me', arn('GET', '/v1/me'))).toBe(false);
  });

  it('treats regex metacharacters as literals', () => {
    expect(resourceMatches(`${STAGE}/GET/v1.me`, arn('GET', '/v1/me'))).toBe(false);
    expect(resourceMatches(`${STAGE}/GET/v1/(me)+`, arn('GET', '/v1/me'))).toBe(false);
    expect(resourceMatches(`${STAGE}/GET/v1/[m]e`, arn('GET', '/v1/me'))).toBe(false);
    expect(resourceMatches(`${STAGE}/GET/v1/a.b+c`, arn('GET', '/v1/a.b+c'))).toBe(true);
  });

  it('is case-sensitive', () => {
    expect(resourceMatches(`${STAGE}/get/v1/me`, arn('GET', '/v1/me'))).toBe(false);
  });

  it('rejects a pattern with many stars against a near miss without catastrophic backtracking', () => {
    const pattern = `${'*a'.repeat(30)}*b`;
    const started = Date.now();
    expect(resourceMatches(pattern, 'a'.repeat(5000))).toBe(false);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('isAllowed', () => {
  it('allows a method a matching Allow covers', () => {
    expect(isAllowed(doc(allow(`${STAGE}/*/*`)), arn('GET', '/v1/me'))).toBe(true);
  });

  it('refuses when no Allow matches', () => {
    expect(isAllowed(doc(allow(`${STAGE}/GET/v1/me`)), arn('GET', '/v1/keys'))).toBe(false);
  });

  it('refuses a policy with no statements', () => {
    expect(isAllowed(doc(), arn('GET', '/v1/me'))).toBe(false);
  });

  it('refuses when a matching Deny is present, whatever the order of statements', () => {
    const denied = arn('POST', '/v1/keys');
    expect(isAllowed(doc(allow(`${STAGE}/*/*`), deny(denied)), denied)).toBe(false);
    expect(isAllowed(doc(deny(denied), allow(`${STAGE}/*/*`)), denied)).toBe(false);
  });

  it('still allows what a Deny does not cover', () => {
    expect(isAllowed(doc(allow(`${STAGE}/*/*`), deny(arn('POST', '/v1/keys'))), arn('GET', '/v1/keys'))).toBe(true);
  });

  it('accepts Resource and Action as strings or arrays', () => {
    expect(
      isAllowed(
        doc(allow([arn('GET', '/v1/keys'), arn('GET', '/v1/me')], ['execute-api:Invoke'])),
        arn('GET', '/v1/me'),
      ),
    ).toBe(true);
    expect(isAllowed(doc(allow(arn('GET', '/v1/me'), 'execute-api:Invoke')), arn('GET', '/v1/me'))).toBe(true);
  });

  it('accepts a single statement object in place of an array, as IAM does', () => {
    expect(isAllowed({ Version: '2012-10-17', Statement: allow(`${STAGE}/*/*`) }, arn('GET', '/v1/me'))).toBe(true);
  });

  it('accepts wildcard actions and action names in any case', () => {
    for (const action of [
      'execute-api:*',
      '*',
      'execute-api:Inv*',
      'EXECUTE-API:INVOKE',
      ['s3:GetObject', 'execute-api:Invoke'],
    ]) {
      expect(isAllowed(doc(allow(`${STAGE}/*/*`, action)), arn('GET', '/v1/me'))).toBe(true);
    }
  });

  it('refuses an Allow for another action', () => {
    for (const action of ['execute-api:ManageConnections', 's3:*', 'execute-api:Invoke2', []]) {
      expect(isAllowed(doc(allow(`${STAGE}/*/*`, action)), arn('GET', '/v1/me'))).toBe(false);
    }
  });

  it('ignores a Deny for another action', () => {
    const other = { Effect: 'Deny', Action: 'execute-api:ManageConnections', Resource: '*' };
    expect(isAllowed(doc(allow(`${STAGE}/*/*`), other), arn('GET', '/v1/me'))).toBe(true);
  });

  it('refuses a policy whose Effect is not exactly Allow or Deny (IAM is case-sensitive)', () => {
    for (const Effect of ['allow', 'ALLOW', 'Permit', undefined, 1]) {
      expect(isAllowed(doc({ Effect, Action: 'execute-api:Invoke', Resource: '*' }), arn('GET', '/v1/me'))).toBe(false);
    }
  });

  it('refuses the whole policy when a lower-case deny sits next to an Allow (fails closed)', () => {
    const statements = doc(allow('*'), {
      Effect: 'deny',
      Action: 'execute-api:Invoke',
      Resource: arn('GET', '/v1/me'),
    });
    expect(isAllowed(statements, arn('GET', '/v1/me'))).toBe(false);
  });

  it('refuses malformed policies', () => {
    const target = arn('GET', '/v1/me');
    const malformed: unknown[] = [
      undefined,
      null,
      'Allow',
      [],
      {},
      { Statement: null },
      { Statement: 'Allow *' },
      doc(null),
      doc('statement'),
      doc({ Effect: 'Allow', Resource: '*' }),
      doc({ Effect: 'Allow', Action: 'execute-api:Invoke' }),
      doc(allow(42)),
      doc(allow(['*', 42])),
      doc(allow('*', { name: 'execute-api:Invoke' })),
      doc(allow({ arn: '*' })),
    ];
    for (const policy of malformed) expect(isAllowed(policy, target)).toBe(false);
  });

  it('refuses policies using elements it does not implement (NotResource, NotAction, Condition)', () => {
    const target = arn('GET', '/v1/me');
    expect(
      isAllowed(
        doc(allow('*'), { Effect: 'Deny', Action: 'execute-api:Invoke', NotResource: arn('GET', '/v1/keys') }),
        target,
      ),
    ).toBe(false);
    expect(isAllowed(doc({ Effect: 'Allow', NotAction: 's3:*', Resource: '*' }), target)).toBe(false);
    expect(isAllowed(doc({ ...allow('*'), Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }), target)).toBe(
      false,
    );
  });
});

describe('isAllowed with the policies policyFor builds', () => {
  const policy = (role: Role, environment: Environment = 'live'): unknown =>
    policyFor(arn('GET', '/v1/me'), role, environment);

  it('denies read_only keys every key mutation, trailing slash or not', () => {
    const attempts: Array<[string, string]> = [
      ['POST', '/v1/keys'],
      ['POST', '/v1/keys/'],
      ['POST', '/v1/keys/key_1/revoke'],
      ['POST', '/v1/keys/key_1/enable'],
      ['POST', '/v1/keys/key_1/rotate'],
      ['PATCH', '/v1/keys/key_1'],
      ['PATCH', '/v1/keys/key_1/'],
      ['DELETE', '/v1/keys/key_1'],
    ];
    for (const [method, path] of attempts) expect(isAllowed(policy('read_only'), arn(method, path))).toBe(false);
  });

  it('allows read_only keys to read keys and call the API', () => {
    for (const path of ['/v1/keys', '/v1/keys/key_1', '/v1/me', '/v1/usage']) {
      expect(isAllowed(policy('read_only'), arn('GET', path))).toBe(true);
    }
  });

  it('allows key mutations to owner, admin and developer keys', () => {
    for (const role of ['owner', 'admin', 'developer'] as const) {
      expect(isAllowed(policy(role), arn('POST', '/v1/keys'))).toBe(true);
      expect(isAllowed(policy(role), arn('POST', '/v1/keys/key_1/revoke'))).toBe(true);
      expect(isAllowed(policy(role), arn('DELETE', '/v1/keys/key_1'))).toBe(true);
    }
  });

  it('denies every non-operator role the panel', () => {
    const attempts: Array<[string, string]> = [
      ['POST', '/v1/panel/tenants'],
      ['GET', '/v1/panel/tenants/t_1'],
      ['PUT', '/v1/panel/tenants/t_1/plan'],
      ['POST', '/v1/panel/tenants/t_1/suspend'],
      ['GET', '/v1/panel'],
      ['GET', '/v1/panel/'],
    ];
    for (const role of ROLES.filter((candidate) => candidate !== 'operator')) {
      for (const [method, path] of attempts) expect(isAllowed(policy(role), arn(method, path))).toBe(false);
    }
  });

  it('allows operator keys the panel and the rest of the API', () => {
    expect(isAllowed(policy('operator'), arn('POST', '/v1/panel/tenants'))).toBe(true);
    expect(isAllowed(policy('operator'), arn('PUT', '/v1/panel/tenants/t_1/plan'))).toBe(true);
    expect(isAllowed(policy('operator'), arn('POST', '/v1/keys'))).toBe(true);
  });

  it('denies a test operator key the panel, but not the rest of the API', () => {
    for (const [method, path] of [
      ['POST', '/v1/panel/tenants'],
      ['GET', '/v1/panel/tenants/t_1'],
      ['PUT', '/v1/panel/tenants/t_1/plan'],
      ['POST', '/v1/panel/tenants/t_1/suspend'],
    ] as const) {
      expect(isAllowed(policy('operator', 'test'), arn(method, path))).toBe(false);
    }
    expect(isAllowed(policy('operator', 'test'), arn('GET', '/v1/keys'))).toBe(true);
  });

  it('refuses another stage or API with the policy built for this one', () => {
    expect(isAllowed(policy('owner'), 'arn:aws:execute-api:local:000000000000:keygate/dev/GET/v1/me')).toBe(false);
    expect(isAllowed(policy('owner'), 'arn:aws:execute-api:local:000000000000:other/prod/GET/v1/me')).toBe(false);
  });
});
