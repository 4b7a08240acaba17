import * as z from 'zod/mini';
import { ApiError } from '../../lambdas/core/http/errors';
import { parseBody, validate, type ApiRequest } from '../../lambdas/core/http/http';
import { createTenantSchema, tenantPlanSchema } from '../../lambdas/core/http/schemas/tenants';
import { createKeySchema } from '../../lambdas/core/http/schemas/keys';

const request = (body: unknown): ApiRequest => ({
  method: 'POST',
  resource: '/v1/panel/tenants',
  pathParameters: {},
  query: {},
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
  caller: { tenantId: 'operator', keyId: 'k', role: 'operator' } as unknown as ApiRequest['caller'],
});

/** The 400's message for a value the schema refuses. */
const messageFor = <T>(schema: z.ZodMiniType<T>, value: unknown, where = 'body'): string => {
  try {
    validate(schema, value, where);
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    return (error as ApiError).message;
  }
  throw new Error('the value was accepted');
};

describe('validation messages say what was expected', () => {
  it('names the plans when a plan is not one of them', () => {
    expect(() => parseBody(request({ name: 'Acme', plan: 'platinum' }), createTenantSchema)).toThrow(
      'plan: must be one of "starter", "growth", "scale", "enterprise"',
    );
  });

  it('names the type a field must have and the type that was sent, never the value', () => {
    const secret = 'kg_live_0123456789abcdef0123456789abcdef';
    const message = messageFor(tenantPlanSchema, { plan: 'growth', rateLimit: secret });
    expect(message).toBe('rateLimit: must be a number, received a string');
    expect(message).not.toContain(secret);
  });

  it('says a required field is missing and what it must be', () => {
    expect(messageFor(tenantPlanSchema, {})).toBe('plan: must be one of "starter", "growth", "scale", "enterprise"');
    expect(messageFor(createTenantSchema, { plan: 'growth' })).toMatch(/^name: must be a string, received nothing$/);
  });

  it('names the allowed values of a nested enum with its path', () => {
    expect(messageFor(tenantPlanSchema, { plan: 'growth', quota: { limit: 10, period: 'YEAR' } })).toMatch(
      /^quota\.period: must be one of "[A-Z]+"(, "[A-Z]+")+$/,
    );
  });

  it('keeps a message the schema sets itself', () => {
    expect(messageFor(tenantPlanSchema, { plan: 'growth', rateLimit: 1.5 })).toBe('rateLimit: must be a whole number');
  });

  it('gives the bounds of a size', () => {
    expect(messageFor(tenantPlanSchema, { plan: 'growth', rateLimit: 0 })).toBe('rateLimit: must be at least 1');
    expect(messageFor(createTenantSchema, { name: 'Acme', plan: 'growth', tenantId: 'x'.repeat(65) })).toBe(
      'tenantId: must be at most 64 characters',
    );
  });

  it('names the values of a literal and of a union of literals and types', () => {
    expect(messageFor(z.object({ kind: z.literal('tenant') }), { kind: 'key' })).toBe('kind: must be "tenant"');
    const schema = z.object({ at: z.union([z.literal('now'), z.literal('never'), z.number(), z.null()]) });
    expect(messageFor(schema, { at: 'later' })).toBe('at: must be one of "now", "never" or a number or null');
  });

  it('points at the option that got furthest when a union of objects fails inside one', () => {
    const schema = z.object({
      by: z.union([z.object({ days: z.number() }), z.object({ until: z.object({ day: z.string() }) })]),
    });
    expect(messageFor(schema, { by: { until: { day: 3 } } })).toBe(
      'by: matches none of the allowed shapes; closest: until.day: must be a string, received a number',
    );
  });

  it('keeps the shape of whole-body and unknown-field messages', () => {
    expect(messageFor(createKeySchema, [], 'body')).toBe('body must be a JSON object');
    expect(messageFor(createKeySchema, { name: 'ci', nope: 1 }, 'body')).toBe('unknown field in body: nope');
  });
});
