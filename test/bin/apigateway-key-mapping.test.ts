import { destinationOf, pairsOf, type KeyMapping } from '../../bin/apigateway-key-mapping';

/** Where `import-apigateway-keys` sends an API Gateway key: usage plan, then tag, then name. */

const mapping: KeyMapping = {
  usagePlans: new Map([
    ['gold', 'acme'],
    ['silver', 'globex'],
  ]),
  tag: 'customer',
  names: new Map([
    ['ini', 'initrode'],
    ['initech-', 'initech'],
  ]),
};
const key = (fields: { name?: string; enabled?: boolean; tags?: Record<string, string> } = {}) => ({
  id: 'k1',
  name: 'initech-prod',
  enabled: true,
  ...fields,
});

describe('destinationOf', () => {
  it('takes the usage plan first, then the tag, then the longest name prefix', () => {
    const tagged = key({ tags: { customer: 'umbrella' } });

    expect(destinationOf(tagged, ['gold', 'bronze'], mapping)).toEqual({ tenant: 'acme', by: 'usage plan' });
    expect(destinationOf(tagged, ['bronze'], mapping)).toEqual({ tenant: 'umbrella', by: 'tag' });
    expect(destinationOf(key(), [], mapping)).toEqual({ tenant: 'initech', by: 'name' });
    expect(destinationOf(key({ name: 'initial' }), [], mapping)).toEqual({ tenant: 'initrode', by: 'name' });
  });

  it('skips a disabled key, a key in two tenants’ plans, and a key nothing maps', () => {
    expect(destinationOf(key({ enabled: false }), ['gold'], mapping)).toMatchObject({ skipped: 'disabled' });
    expect(destinationOf(key(), ['gold', 'silver'], mapping)).toEqual({
      skipped: 'ambiguous',
      reason: 'its usage plans map to tenants acme, globex',
    });
    expect(destinationOf(key({ name: 'stray', tags: { customer: '' } }), [], mapping)).toMatchObject({
      skipped: 'no tenant',
    });
  });

  it('takes two plans of one tenant as that tenant', () => {
    const both: KeyMapping = { ...mapping, usagePlans: new Map([...mapping.usagePlans, ['platinum', 'acme']]) };

    expect(destinationOf(key(), ['gold', 'platinum'], both)).toEqual({ tenant: 'acme', by: 'usage plan' });
  });
});

describe('pairsOf', () => {
  it('reads <left>=<right> pairs, splitting at the last =, and refuses anything else', () => {
    expect(pairsOf('name', ['a=b=acme', 'x-=globex'])).toEqual(
      new Map([
        ['a=b', 'acme'],
        ['x-', 'globex'],
      ]),
    );
    for (const bad of ['acme', '=acme', 'gold=']) expect(() => pairsOf('usage-plan', [bad])).toThrow(/--usage-plan/);
  });
});
