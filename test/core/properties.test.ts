import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { createAuthorizerHandler } from '../../lambdas/authorizer/handler';
import { ThrottledLastUse } from '../../lambdas/core/authorize';
import { DynamoKeyStore } from '../../lambdas/core/dynamodb-store';
import { checksum, parseAuthorization } from '../../lambdas/core/keys';
import { documentClient } from '../../lambdas/runtime/dynamodb-client';
import { fixedClock, keyFixture, METHOD_ARN, rawKeyItem, recordingLogger, tenantFixture } from '../support/fixtures';

/**
 * Property tests over generated inputs. fast-check is not installed in this checkout (it must be
 * added to devDependencies); until then a seeded generator (mulberry32) stands in for it: every
 * run draws the same cases, and a failure names the seed and the case.
 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SEED = 20261123;
const CLASSES = ['0123456789abcdef', 'ABCDEFXYZ', 'ghijklmnopqrstuvwxyz', '_- \t.:/+=', 'éß中🔑\u0000\u200b\uffff', '"\'\\{}[]<>'];
const pick = <T>(random: () => number, items: readonly T[]): T => items[Math.floor(random() * items.length)];
const randomString = (random: () => number, length: number): string =>
  Array.from({ length }, () => pick(random, [...pick(random, CLASSES)])).join('');

/** Every key one character off a valid one: each position, a character of each class. */
function mutations(key: string, random: () => number): string[] {
  const out: string[] = [];
  for (let i = 0; i < key.length; i++) {
    for (const chars of CLASSES) {
      const c = pick(random, [...chars]);
      if (c !== key[i]) out.push(key.slice(0, i) + c + key.slice(i + 1));
    }
    out.push(key.slice(0, i) + key.slice(i + 1));
  }
  return out;
}

/** What the parser accepts, said independently of it. */
function wellFormed(value: string, acceptBare: boolean): boolean {
  const m = /^(?:(bearer) )?(sk_(?:live|test)_[0-9a-f]{64})([0-9a-f]{8})$/i.exec(value);
  if (m === null || (m[1] === undefined && !acceptBare)) return false;
  const key = value.slice(value.length - 80);
  return /^sk_(live|test)_[0-9a-f]{72}$/.test(key) && checksum(key.slice(0, 72)) === key.slice(72);
}

describe('parseAuthorization, over generated values', () => {
  const random = prng(SEED);
  const valid = keyFixture().plaintext;
  const cases: string[] = [
    ...Array.from({ length: 3000 }, () => randomString(random, Math.floor(random() * 120))),
    ...mutations(valid, random),
    ...mutations(valid, random).map((k) => `Bearer ${k}`),
    valid,
    `Bearer ${valid}`,
    `bEaReR ${valid}`,
    `Bearer  ${valid}`,
    `Bearer ${valid} `,
    'Bearer',
    'Bearer ',
    `Bearer ${valid}, Bearer ${valid}`,
    `Bearer ${valid}${'a'.repeat(10 * 1024)}`,
    'x'.repeat(10 * 1024),
  ];

  it(`never throws and accepts exactly the well-formed values (${cases.length * 2} cases, seed ${SEED})`, () => {
    for (const acceptBare of [true, false]) {
      for (const value of cases) {
        const parsed = parseAuthorization(value, 'sk', acceptBare);
        if ((parsed !== undefined) !== wellFormed(value, acceptBare)) throw new Error(`seed ${SEED}: ${JSON.stringify(value)} (bare ${acceptBare})`);
      }
    }
  });
});

describe('the authorizer, over generated tokens and key states', () => {
  const ddb = mockClient(DynamoDBDocumentClient);
  beforeEach(() => {
    ddb.reset();
    ddb.on(UpdateCommand).resolves({});
  });

  it('never Allows anything but an active, unexpired key of an active tenant', async () => {
    const random = prng(SEED + 1);
    const now = '2026-11-23T10:00:00.000Z';
    const states = [
      { label: 'active', fixture: keyFixture(), allowed: true },
      { label: 'revoked', fixture: (() => { const f = keyFixture(); return { ...f, item: { ...f.item, status: 'revoked' as const } }; })(), allowed: false },
      { label: 'expired', fixture: keyFixture({ expiresAt: '2026-11-23T00:00:00.000Z', now: '2026-11-01T10:00:00.000Z' }), allowed: false },
      { label: 'suspended tenant', fixture: keyFixture({ tenant: tenantFixture({ status: 'suspended' }) }), allowed: false },
    ];
    let cases = 0;
    for (const state of states) {
      const { item, plaintext } = state.fixture;
      // the table holds this one key: a lookup by its id finds it, any other id finds nothing.
      ddb.on(GetCommand).callsFake((input: { Key: { pk: string } }) => (input.Key.pk === `KEY#${item.id}` ? { Item: rawKeyItem(item) } : {}));
      const logger = recordingLogger();
      const store = new DynamoKeyStore({ client: documentClient(new DynamoDBClient({ region: 'eu-west-1' })), tableName: 'keys' });
      const handler = createAuthorizerHandler({ store, prefix: 'sk', acceptBareKeys: true, clock: fixedClock(now), logger, lastUse: new ThrottledLastUse(store, logger) });
      const tokens = [
        plaintext,
        `Bearer ${plaintext}`,
        ...mutations(plaintext, random).slice(0, 400),
        ...Array.from({ length: 200 }, () => randomString(random, Math.floor(random() * 100))),
      ];
      for (const token of tokens) {
        cases++;
        const answer = await handler({ type: 'TOKEN', authorizationToken: token, methodArn: METHOD_ARN }).then(
          (result) => result.policyDocument.Statement.some((s) => s.Effect === 'Allow'),
          () => false,
        );
        const mayAllow = state.allowed && (token === plaintext || token === `Bearer ${plaintext}`);
        if (answer !== mayAllow) throw new Error(`seed ${SEED + 1}, ${state.label}: ${JSON.stringify(token)} answered ${answer ? 'Allow' : 'refusal'}`);
      }
    }
    expect(cases).toBeGreaterThan(2000);
  });
});
