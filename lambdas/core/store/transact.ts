import { TransactionCanceledException, type CancellationReason } from '@aws-sdk/client-dynamodb';
import {
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';

/** One element of a `TransactWriteItems` request, with plain JavaScript values (lib-dynamodb's type). */
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
/** The body of a transaction's `Put`. */
export type TransactPut = NonNullable<TransactItem['Put']>;
/** The body of a transaction's `Update`. */
export type TransactUpdate = NonNullable<TransactItem['Update']>;
/** The body of a transaction's `Delete`. */
export type TransactDelete = NonNullable<TransactItem['Delete']>;
/** The body of a transaction's `ConditionCheck`. */
export type TransactCheck = NonNullable<TransactItem['ConditionCheck']>;

/**
 * Builds transaction items, each checked against lib-dynamodb's own request type: a misspelt
 * field or a wrong value type fails to compile instead of failing at DynamoDB.
 */
export const transactItem = {
  /** A `Put`. */
  put: (body: TransactPut): TransactItem => ({ Put: body }),
  /** An `Update`. */
  update: (body: TransactUpdate): TransactItem => ({ Update: body }),
  /** A `Delete`. */
  delete: (body: TransactDelete): TransactItem => ({ Delete: body }),
  /** A `ConditionCheck`. */
  check: (body: TransactCheck): TransactItem => ({ ConditionCheck: body }),
} as const;

/** Writes `items` in one `TransactWriteItems`: all of them or none. */
export async function transactWrite(client: DynamoDBDocumentClient, items: readonly TransactItem[]): Promise<void> {
  await client.send(new TransactWriteCommand({ TransactItems: [...items] }));
}

/**
 * Why each item of a cancelled transaction failed, by the item's index (its old item among them
 * when the item asked for it); `undefined` for any other error.
 */
export function cancellationReasons(error: unknown): readonly (CancellationReason | undefined)[] | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  return error.CancellationReasons ?? [];
}

/** The reason codes of a cancelled transaction (`ConditionalCheckFailed`, `None`, ...), by item index. */
export function cancellationCodes(error: unknown): readonly (string | undefined)[] | undefined {
  return cancellationReasons(error)?.map((reason) => reason?.Code);
}
