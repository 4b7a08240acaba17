/**
 * Figure 3, against DynamoDB Local over loopback: whole authorizations through the authorizer's
 * signed reader, against a bare signed GetItem of the same item over the same transport
 * (`DynamoDbHttp`), one at a time, in the same run.
 * The SDK's GetCommand is measured alongside for reference.
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { authorize, ThrottledLastUse } from '../lambdas/core/auth/authorize';
import { keyItemKey } from '../lambdas/core/store/key-item';
import { DynamoDbHttp } from '../lambdas/runtime/dynamodb-http';
import type { SignedKeyReader } from '../lambdas/runtime/signed-key-reader';
import { LOCAL_AWS } from '../local/dynamodb-local';
import { AUTHORIZER_SETTINGS, METHOD_ARN, quiet, type BenchKey } from './fixture';
import { size, type Report } from './report';

export interface DdbTarget {
  readonly endpoint: string;
  readonly tableName: string;
  readonly reader: SignedKeyReader;
  readonly documents: DynamoDBDocumentClient;
}

export async function ddbFigures(report: Report, target: DdbTarget, key: BenchKey): Promise<void> {
  const deps = { ...AUTHORIZER_SETTINGS, store: target.reader, lastUse: new ThrottledLastUse(target.reader, quiet) };
  const token = `Bearer ${key.plaintext}`;
  // the reader's own transport (signing, keep-alive connection), with the input built once.
  const signed = new DynamoDbHttp({ ...LOCAL_AWS.credentials, region: LOCAL_AWS.region, endpoint: target.endpoint });
  const input = {
    TableName: target.tableName,
    Key: { pk: { S: keyItemKey(key.item.id).pk }, sk: { S: keyItemKey(key.item.id).sk } },
    ConsistentRead: true,
  };

  const loops: [string, () => Promise<unknown>][] = [
    ['authorizer_ddb_per_s', () => authorize(deps, token, METHOD_ARN)],
    [
      'getitem_per_s',
      async () => {
        if ((await signed.call('GetItem', input)).Item === undefined) throw new Error('GetItem found no item');
      },
    ],
    [
      'sdk_getitem_per_s',
      () =>
        target.documents.send(
          new GetCommand({ TableName: target.tableName, Key: keyItemKey(key.item.id), ConsistentRead: true }),
        ),
    ],
  ];
  const rounds = size(15, 3);
  const perRound = size(200, 50);
  const elapsedMs = loops.map(() => 0);
  for (const [, fn] of loops) for (let i = 0; i < 50; i += 1) await fn();
  // the loops take turns round by round, so DynamoDB Local's and the machine's noise fall on each alike.
  for (let round = 0; round < rounds; round += 1) {
    for (const [index, [, fn]] of loops.entries()) {
      const start = performance.now();
      for (let i = 0; i < perRound; i += 1) await fn();
      elapsedMs[index] += performance.now() - start;
    }
  }
  await deps.lastUse.settle();
  const calls = rounds * perRound;
  const note = `${calls} calls one at a time, one keep-alive connection`;
  report.add('authorizer_ddb_per_s', calls / (elapsedMs[0] / 1000), '/s', `${note}, whole authorization`);
  report.add(
    'getitem_per_s',
    calls / (elapsedMs[1] / 1000),
    '/s',
    `${note}, bare signed GetItem (the reader's transport, no decoding)`,
  );
  report.add(
    'sdk_getitem_per_s',
    calls / (elapsedMs[2] / 1000),
    '/s',
    `${calls} calls, @aws-sdk/lib-dynamodb GetCommand (reference)`,
  );
  report.add(
    'authorizer_vs_getitem_ratio',
    report.get('authorizer_ddb_per_s') / report.get('getitem_per_s'),
    '×',
    'authorizations per GetItem (1.0 = no overhead)',
  );
}
