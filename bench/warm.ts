/**
 * Figure 1, warm CPU: one `authorize()` call (what the handler runs) in process over an
 * in-memory store, against its floor: SHA-256 of the key plus `JSON.stringify` of its policy,
 * the least any authorizer of hashed keys must compute, each the fastest way Node has (the
 * one-shot `crypto.hash`, as the authorizer uses). The two take turns call by call.
 */
import { hash } from 'node:crypto';
import { authorize, ThrottledLastUse } from '../lambdas/core/auth/authorize';
import { policyFor } from '../lambdas/core/auth/policy';
import { AUTHORIZER_SETTINGS, METHOD_ARN, memoryStore, quiet, type BenchKey } from './fixture';
import { percentile, size, type Report } from './report';

const ns = (): bigint => process.hrtime.bigint();

export async function warmFigures(report: Report, key: BenchKey): Promise<void> {
  const calls = size(60_000, 5_000);
  const store = memoryStore([key.item]);
  // the deployed recorder: after the first call, no write for a minute.
  const deps = { ...AUTHORIZER_SETTINGS, store, lastUse: new ThrottledLastUse(store, quiet) };
  const token = `Bearer ${key.plaintext}`;
  const policy = policyFor(METHOD_ARN, key.item.role, key.item.environment);
  let sink = 0;
  const floor = (): void => {
    sink += hash('sha256', key.plaintext, 'hex').length + JSON.stringify(policy).length;
  };
  const authorizer = async (): Promise<void> => {
    sink += (await authorize(deps, token, METHOD_ARN)).principalId.length;
  };

  for (let i = 0; i < size(5_000, 1_000); i += 1) {
    floor();
    await authorizer();
  }
  // the two take turns call by call, so the machine's noise falls on each alike.
  const authorizerUs: number[] = new Array(calls);
  const floorUs: number[] = new Array(calls);
  for (let i = 0; i < calls; i += 1) {
    let start = ns();
    floor();
    floorUs[i] = Number(ns() - start) / 1000;
    start = ns();
    await authorizer();
    authorizerUs[i] = Number(ns() - start) / 1000;
  }
  if (sink === 0) throw new Error('nothing was computed');

  const note = `${calls} calls, in-memory store`;
  report.add('authorizer_warm_us_p50', percentile(authorizerUs, 50), 'µs', `${note}, one authorize() call`);
  report.add('authorizer_warm_us_p99', percentile(authorizerUs, 99), 'µs', note);
  report.add(
    'authorizer_floor_us_p50',
    percentile(floorUs, 50),
    'µs',
    'crypto.hash(sha256, key) + JSON.stringify(policy)',
  );
  report.add(
    'authorizer_over_floor_ratio',
    report.get('authorizer_warm_us_p50') / report.get('authorizer_floor_us_p50'),
    '×',
    'p50 / floor p50',
  );
}
