/**
 * Figure 2, DynamoDB calls per authorization, counted through the authorizer's real reader over
 * DynamoDB Local. These are the benchmark's only contracts: a run fails when one breaks.
 */
import { authorize, ThrottledLastUse } from '../lambdas/core/auth/authorize';
import { checksum } from '../lambdas/core/keys/format';
import type { SignedKeyReader } from '../lambdas/runtime/signed-key-reader';
import { AUTHORIZER_SETTINGS, KEY_FORMAT, METHOD_ARN, countingStore, quiet, type BenchKey } from './fixture';
import type { Report } from './report';

/** Calls made by one authorization: reads on the answer's path, writes started (not awaited). */
async function count(reader: SignedKeyReader, tokens: readonly string[]): Promise<{ reads: number; writes: number }[]> {
  const counting = countingStore(reader);
  const lastUse = new ThrottledLastUse(counting.store, quiet);
  const deps = { ...AUTHORIZER_SETTINGS, store: counting.store, lastUse };
  const out: { reads: number; writes: number }[] = [];
  for (const token of tokens) {
    const [reads, writes] = [counting.reads(), counting.writes()];
    await authorize(deps, token, METHOD_ARN).catch(() => undefined);
    out.push({ reads: counting.reads() - reads, writes: counting.writes() - writes });
    await lastUse.settle();
  }
  return out;
}

export async function callFigures(report: Report, reader: SignedKeyReader, key: BenchKey): Promise<void> {
  const good = `Bearer ${key.plaintext}`;
  // the right shape with a wrong checksum: one hex digit of the secret changed.
  const secretAt = key.plaintext.length - 9;
  const flipped =
    key.plaintext.slice(0, secretAt) +
    (key.plaintext[secretAt] === '0' ? '1' : '0') +
    key.plaintext.slice(secretAt + 1);
  if (KEY_FORMAT.checksum && checksum(flipped.slice(0, -8)) === flipped.slice(-8))
    throw new Error('the flipped key still has a valid checksum');

  const [first, repeat] = await count(reader, [good, good]);
  const [badShape] = await count(reader, ['Bearer not-a-key']);
  const [badChecksum] = await count(reader, [`Bearer ${flipped}`]);

  report.contract('ddb_calls_good', first.reads, 1, 'one GetItem on the answer path');
  report.add('ddb_writes_good', first.writes, 'calls', 'lastUsedAt UpdateItem started, not awaited');
  report.contract('ddb_calls_bad_shape', badShape.reads + badShape.writes, 0, 'refused without I/O');
  // without a checksum in the format, a well-shaped made-up key costs the one read and no write.
  if (KEY_FORMAT.checksum) {
    report.contract('ddb_calls_bad_checksum', badChecksum.reads + badChecksum.writes, 0, 'refused without I/O');
  } else {
    report.contract(
      'ddb_calls_forged',
      badChecksum.reads + badChecksum.writes,
      1,
      'no checksum: one GetItem, no write',
    );
  }
  report.contract(
    'ddb_calls_repeat',
    repeat.reads + repeat.writes,
    1,
    'same key again within a minute: one read, no write',
  );
  report.contract('ddb_writes_repeat', repeat.writes, 0, 'lastUsedAt written at most once a minute per key');
}
