import fc from 'fast-check';
import { policyFor } from '../../lambdas/core/auth/policy';
import type { RouteRoles } from '../../lambdas/core/auth/route-policy';
import { parseScopes, scopeMatches } from '../../lambdas/core/auth/scopes';
import {
  MAX_WORKSPACE_SCOPE_PATHS,
  WorkspacePolicyTooLarge,
  workspaceAllows,
  workspaceResources,
  type WorkspaceRule,
} from '../../lambdas/core/auth/workspaces';
import type { Role } from '../../lambdas/core/keys/format';
import { isAllowed } from '../../local/policy';
import { authorize, ThrottledLastUse, Unauthorized } from '../../lambdas/core/auth/authorize';
import { MemoryKeyStore } from '../support/fakes/memory-key-store';
import { fixedClock, keyFixture, METHOD_ARN, recordingLogger, tenantFixture } from '../support/fixtures';
import '../support/property';

const STAGE = 'arn:aws:execute-api:eu-west-1:123456789012:abc123/prod';
const PANEL: RouteRoles[] = [{ method: 'GET', path: '/panel/{rest}', roles: ['owner', 'admin'] }];

const policy = (rule: WorkspaceRule, role: Role, scopes: string[] = []) => {
  const parsed = parseScopes(scopes);
  return policyFor(`${STAGE}/GET/v1/me`, role, 'live', PANEL, parsed, workspaceResources(rule, PANEL, parsed));
};
const allowed = (doc: unknown, method: string, path: string) =>
  isAllowed(doc, `${STAGE}/${method}${path}`, { foldDenyCase: true });

describe('the workspace policy', () => {
  const rule: WorkspaceRule = { segment: 1, workspaces: ['w1', 'w2'] };

  it.each([
    ['GET', '/w1/posts', true],
    ['POST', '/w2/posts/7', true],
    ['DELETE', '/w1/', true],
    ['GET', '/w3/posts', false],
    ['GET', '/W1/posts', false],
    ['GET', '/w1', false],
    ['GET', '/x/w1/posts', false],
    ['GET', '/w3/w1/posts', false],
    ['GET', '/w1/x/w2/y', false],
    ['GET', '/w1x/posts', false],
    ['GET', '/posts', false],
    ['GET', '/', false],
    ['GET', '/v1/me', true],
  ])('lets a developer key %s %s: %s', (method, path, expected) => {
    expect(allowed(policy(rule, 'developer'), method, path)).toBe(expected);
  });

  it('lets the routes given roles through by role, outside the workspaces', () => {
    expect(allowed(policy(rule, 'admin'), 'GET', '/panel/users')).toBe(true);
    expect(allowed(policy(rule, 'developer'), 'GET', '/panel/users')).toBe(false);
    expect(allowed(policy(rule, 'admin'), 'POST', '/panel/users')).toBe(false);
  });

  it('names the segment: with 2, /v2/{workspace}/… is the workspace path', () => {
    const second = policy({ segment: 2, workspaces: ['w1'] }, 'developer');
    expect(allowed(second, 'GET', '/v2/w1/posts')).toBe(true);
    expect(allowed(second, 'GET', '/v2/w3/posts')).toBe(false);
    expect(allowed(second, 'GET', '/a/b/w1/posts')).toBe(false);
    expect(allowed(second, 'GET', '/w1/posts')).toBe(false);
  });

  it('reaches no workspace path for a tenant without workspaces', () => {
    expect(allowed(policy({ segment: 1, workspaces: [] }, 'owner'), 'GET', '/w1/posts')).toBe(false);
  });

  it('narrows a scoped key to the workspaces its scopes name', () => {
    const doc = policy(rule, 'developer', ['GET /{workspace}/posts', 'POST /w2/drafts/*', 'GET /w3/*']);
    expect(allowed(doc, 'GET', '/w1/posts')).toBe(true);
    expect(allowed(doc, 'GET', '/w2/posts')).toBe(true);
    expect(allowed(doc, 'GET', '/w1/drafts')).toBe(false);
    expect(allowed(doc, 'POST', '/w2/drafts/1')).toBe(true);
    expect(allowed(doc, 'GET', '/w3/posts')).toBe(false);
    expect(workspaceResources(rule, PANEL, parseScopes(['POST /w2/drafts/*'])).workspaces).toEqual(['w2']);
  });

  it(`refuses a scoped key whose scopes stand for more than ${MAX_WORKSPACE_SCOPE_PATHS} workspace paths`, () => {
    const many = { segment: 1, workspaces: Array.from({ length: 6 }, (_, i) => `w${i}`) };
    expect(() => workspaceResources(many, [], parseScopes(['GET /{w}/a', 'GET /{w}/b']))).toThrow(
      WorkspacePolicyTooLarge,
    );
  });

  const segment = fc.constantFrom('w1', 'w2', 'w3', 'W1', 'panel', 'posts', 'v1x', '');
  const request = fc.tuple(
    fc.constantFrom('GET', 'POST', 'DELETE'),
    fc.array(segment, { minLength: 0, maxLength: 5 }).map((segments) => `/${segments.join('/')}`),
  );
  const rules = fc.record({
    segment: fc.constantFrom(1, 2, 3),
    workspaces: fc.subarray(['w1', 'w2', 'w3']),
  });
  const roles = fc.constantFrom<Role>('admin', 'developer');

  /** What the module documentation promises, written out for one path. */
  function reference(r: WorkspaceRule, role: Role, method: string, path: string): boolean {
    const segments = path.split('/').slice(1);
    const deeper = segments.some(
      (s, i) => i >= r.segment && i < segments.length - 1 && r.workspaces.some((w) => w === s.toLowerCase()),
    );
    const panel = method === 'GET' && segments.length >= 2;
    if (deeper || (role === 'developer' && panel && segments[0].toLowerCase() === 'panel')) return false;
    return (r.segment === 1 && panel && segments[0] === 'panel') || workspaceAllows(r, path);
  }

  it("agrees with the local policy evaluation of the authorizer's policy", () => {
    fc.assert(
      fc.property(rules, roles, request, (r, role, [method, path]) => {
        expect(allowed(policy(r, role), method, path)).toBe(reference(r, role, method, path));
      }),
    );
  });

  const scope = fc
    .tuple(
      fc.constantFrom('GET', '*'),
      fc.array(fc.constantFrom('w1', 'w3', 'panel', 'posts', '*', '{ws}'), { minLength: 1, maxLength: 3 }),
    )
    .map(([method, segments]) => `${method} /${segments.join('/')}`);

  it('never lets a scoped key past what its scopes and an unscoped key of its tenant both allow', () => {
    fc.assert(
      fc.property(rules, roles, fc.uniqueArray(scope, { maxLength: 3 }), request, (r, role, raw, [method, path]) => {
        const scopes = parseScopes(raw);
        if (scopes.length === 0) return;
        let doc;
        try {
          doc = policy(r, role, raw);
        } catch (error) {
          expect(error).toBeInstanceOf(WorkspacePolicyTooLarge);
          return;
        }
        if (path.startsWith('/v1/') || !allowed(doc, method, path)) return;
        expect(scopes.some((s) => scopeMatches(s, method, path))).toBe(true);
        expect(allowed(policy(r, role), method, path)).toBe(true);
      }),
    );
  });
});

describe('the authorizer with a workspace segment', () => {
  async function authorizeWith(workspaces: string[], scopes?: string[]) {
    const store = new MemoryKeyStore();
    const tenant = tenantFixture({ workspaces });
    const { item, plaintext } = keyFixture({ tenant, role: 'developer' });
    await store.createTenant(tenant, scopes === undefined ? item : { ...item, scopes });
    const logger = recordingLogger();
    const deps = {
      store,
      prefix: 'sk',
      acceptBareKeys: true,
      clock: fixedClock(),
      logger,
      lastUse: new ThrottledLastUse(store, logger),
      routeRoles: PANEL,
      workspaceSegment: 1,
    };
    return { run: () => authorize(deps, `Bearer ${plaintext}`, METHOD_ARN), logger };
  }

  it("answers the key's own policy, with its tenant's workspaces in the context", async () => {
    const result = await (await authorizeWith(['w2', 'w1'])).run();
    expect(result.context.workspaces).toBe('w2,w1');
    expect(allowed(result.policyDocument, 'GET', '/w1/posts')).toBe(true);
    expect(allowed(result.policyDocument, 'GET', '/w3/posts')).toBe(false);
  });

  it('gives a scoped key the workspaces its scopes name', async () => {
    const result = await (await authorizeWith(['w1', 'w2'], ['* /w2/*'])).run();
    expect(result.context.workspaces).toBe('w2');
  });

  it('refuses a scoped key whose scopes stand for too many workspace paths, saying why in the log', async () => {
    const { run, logger } = await authorizeWith(['w1', 'w2', 'w3'], ['GET /{ws}/a', 'GET /{ws}/b']);
    await expect(run()).rejects.toBeInstanceOf(Unauthorized);
    expect(JSON.stringify(logger.lines)).toContain('WorkspacePolicyTooLarge');
  });
});
