import fc from 'fast-check';
import { authorize, type AuthorizeDeps } from '../../lambdas/core/auth/authorize';
import { PolicyCache, policyFor } from '../../lambdas/core/auth/policy';
import type { RouteRoles } from '../../lambdas/core/auth/route-policy';
import { ENVIRONMENTS, ROLES, type Environment, type Role } from '../../lambdas/core/keys/format';
import type { KeyItem } from '../../lambdas/core/model';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * The authorizer answers policies from a cache (for warm CPU): one frozen document per
 * stage, role and environment. These tests hold every cached answer to the document policyFor
 * builds afresh for the same call, whatever came before it: no stage, role or environment may
 * ever be answered another's policy.
 */
const ACCOUNT = 'arn:aws:execute-api:eu-west-1:123456789012';
// stages that are prefixes of one another, and two APIs: the cache's "same stage as last time"
// shortcut must tell them apart.
const STAGES = [
  `${ACCOUNT}:abc123/prod`,
  `${ACCOUNT}:abc123/prod2`,
  `${ACCOUNT}:abc123/pro`,
  `${ACCOUNT}:abc1234/prod`,
  'arn:aws:execute-api:us-east-1:999999999999:abc123/prod',
];
const ROUTES = ['GET/v1/me', 'POST/v1/keys', 'DELETE/v1/keys/key_1', 'GET/v1/panel/tenants', 'GET/v1/orders/7', 'GET/'];
const RULES: RouteRoles[] = [
  { method: 'DELETE', path: '/v1/orders/{id}', roles: ['owner'] },
  { method: 'POST', path: '/v1/orders', roles: ['owner', 'admin', 'developer'] },
];

const call = fc.record({
  stage: fc.constantFrom(...STAGES),
  route: fc.constantFrom(...ROUTES),
  role: fc.constantFrom(...ROLES),
  environment: fc.constantFrom(...ENVIRONMENTS),
});

describe('PolicyCache', () => {
  it('answers every call of any sequence with the document policyFor builds for it', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.array(call, { minLength: 1, maxLength: 40 }), (withRules, calls) => {
        const rules = withRules ? RULES : [];
        const cache = new PolicyCache(rules);
        for (const { stage, route, role, environment } of calls) {
          const methodArn = `${stage}/${route}`;
          const cached = cache.policyFor(methodArn, role, environment);
          expect(cached).toEqual(policyFor(methodArn, role, environment, rules));
          expect(JSON.stringify(cached)).toBe(JSON.stringify(policyFor(methodArn, role, environment, rules)));
        }
      }),
    );
  });

  it('gives each stage, role and environment a document of its own', () => {
    const cache = new PolicyCache(RULES);
    const seen = new Map<unknown, string>();
    for (const stage of STAGES) {
      for (const role of ROLES) {
        for (const environment of ENVIRONMENTS) {
          const policy = cache.policyFor(`${stage}/GET/v1/me`, role, environment);
          expect(seen.get(policy)).toBeUndefined();
          seen.set(policy, `${stage} ${role} ${environment}`);
          // asked again, from another route of the same stage: the same document.
          expect(cache.policyFor(`${stage}/POST/v1/keys/key_1`, role, environment)).toBe(policy);
        }
      }
    }
    expect(seen.size).toBe(STAGES.length * ROLES.length * ENVIRONMENTS.length);
  });

  it('hands out frozen documents: a caller cannot change what the next key is answered', () => {
    const cache = new PolicyCache();
    const methodArn = `${STAGES[0]}/GET/v1/me`;
    const policy = cache.policyFor(methodArn, 'read_only', 'live');
    expect(() => (policy.Statement as unknown[]).push({})).toThrow(TypeError);
    expect(() => policy.Statement[1].Resource.pop()).toThrow(TypeError);
    expect(() => {
      (policy.Statement[1] as { Effect: string }).Effect = 'Allow';
    }).toThrow(TypeError);
    expect(cache.policyFor(methodArn, 'read_only', 'live')).toEqual(policyFor(methodArn, 'read_only', 'live'));
  });

  it('builds, but does not keep, a policy for a role or environment it does not know', () => {
    const cache = new PolicyCache();
    const methodArn = `${STAGES[0]}/GET/v1/me`;
    const odd = cache.policyFor(methodArn, 'superuser' as Role, 'live');
    expect(odd).toEqual(policyFor(methodArn, 'superuser' as Role, 'live'));
    expect(cache.policyFor(methodArn, 'superuser' as Role, 'live')).not.toBe(odd);
    expect(cache.policyFor(methodArn, 'owner', 'staging' as Environment)).toEqual(
      policyFor(methodArn, 'owner', 'staging' as Environment),
    );
  });

  it('refuses a method ARN without a stage, whether or not a stage came before it', () => {
    const cache = new PolicyCache();
    expect(() => cache.policyFor('not-an-arn', 'owner', 'live')).toThrow('methodArn is not an execute-api method ARN');
    cache.policyFor(`${STAGES[0]}/GET/v1/me`, 'owner', 'live');
    expect(() => cache.policyFor(STAGES[0], 'owner', 'live')).toThrow('methodArn is not an execute-api method ARN');
    expect(() => cache.policyFor(`${ACCOUNT}:abc123`, 'owner', 'live')).toThrow(
      'methodArn is not an execute-api method ARN',
    );
  });

  it('starts over past its stage limit, still answering correctly', () => {
    const cache = new PolicyCache([], 2);
    for (const stage of [...STAGES, ...STAGES]) {
      expect(cache.policyFor(`${stage}/GET/v1/me`, 'developer', 'test')).toEqual(
        policyFor(`${stage}/GET/v1/me`, 'developer', 'test'),
      );
    }
  });
});

describe('authorize with cached policies', () => {
  const tenant = tenantFixture();
  const keys = [
    keyFixture({ tenant, role: 'developer' }),
    keyFixture({ tenant, role: 'read_only', environment: 'test' }),
  ];
  const byId = new Map<string, KeyItem>(keys.map(({ item }) => [item.id, item]));
  const deps = (routeRoles?: readonly RouteRoles[]): AuthorizeDeps => ({
    store: { getKey: async (id) => byId.get(id) },
    prefix: 'sk',
    acceptBareKeys: true,
    clock: fixedClock(instant(0, '10:00')),
    logger: recordingLogger(),
    lastUse: { record: () => undefined },
    ...(routeRoles === undefined ? {} : { routeRoles }),
  });

  it('answers each key the policy of its own role, environment and stage, and each rule list its own rules', async () => {
    const withRules = deps(RULES);
    const without = deps();
    for (const round of [1, 2]) {
      for (const stage of STAGES) {
        for (const { item, plaintext } of keys) {
          const methodArn = `${stage}/GET/v1/orders/${round}`;
          expect((await authorize(withRules, `Bearer ${plaintext}`, methodArn)).policyDocument).toEqual(
            policyFor(methodArn, item.role, item.environment, RULES),
          );
          expect((await authorize(without, plaintext, methodArn)).policyDocument).toEqual(
            policyFor(methodArn, item.role, item.environment),
          );
        }
      }
    }
  });
});
