import { GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoOutbox } from '../events/dynamodb-outbox';
import type { KeygateEvent } from '../events/model';
import { cancellationCodes, transactItem, transactWrite } from '../store/transact';
import type { SessionItem } from './model';
import { toSessionItem } from './session-item';
import { signInCodeItemKey, type SignInCodeItem } from './sign-in-code';

/** Where sign-in codes live. */
export interface SignInCodeStore {
  /** Stores a new code (its hash, never the code). */
  putSignInCode(code: SignInCodeItem): Promise<void>;
  getSignInCode(id: string): Promise<SignInCodeItem | undefined>;
  /**
   * Deletes the code and stores the session it is exchanged for, with the session's event, in
   * one transaction conditional on the code still being there.
   *
   * @returns false when the code was gone (another exchange took it first).
   */
  redeemSignInCode(code: SignInCodeItem, session: SessionItem, event: KeygateEvent): Promise<boolean>;
}

/** Where a {@link DynamoSignInCodes} keeps its items. */
export interface DynamoSignInCodesProps {
  readonly client: DynamoDBDocumentClient;
  /** The key table's name: codes sit beside sessions. */
  readonly tableName: string;
  /** How long event items are kept. @default 400 */
  readonly eventRetentionDays?: number;
  /** How many times an exchange is tried again after a transaction conflict. @default 3 */
  readonly conflictRetries?: number;
}

/** The {@link SignInCodeStore} over the key table (`SIGNIN#<id>` items, removed by `ttl`). */
export class DynamoSignInCodes implements SignInCodeStore {
  private readonly outbox: DynamoOutbox;

  constructor(private readonly props: DynamoSignInCodesProps) {
    this.outbox = new DynamoOutbox(props.tableName, props.eventRetentionDays);
  }

  async putSignInCode(code: SignInCodeItem): Promise<void> {
    await this.props.client.send(
      new PutCommand({
        TableName: this.props.tableName,
        Item: { ...signInCodeItemKey(code.id), ...code, ttl: Math.ceil(Date.parse(code.expiresAt) / 1000) },
        // the id comes from 256 random bits: this only refuses a collision.
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async getSignInCode(id: string): Promise<SignInCodeItem | undefined> {
    const out = await this.props.client.send(
      new GetCommand({ TableName: this.props.tableName, Key: signInCodeItemKey(id), ConsistentRead: true }),
    );
    if (out.Item === undefined) return undefined;
    const { pk: _pk, sk: _sk, ttl: _ttl, ...code } = out.Item;
    return code as SignInCodeItem;
  }

  async redeemSignInCode(code: SignInCodeItem, session: SessionItem, event: KeygateEvent): Promise<boolean> {
    const { client, tableName } = this.props;
    const items = this.outbox.append(
      [
        transactItem.delete({
          TableName: tableName,
          Key: signInCodeItemKey(code.id),
          // the code read before, still there: of two exchanges at once, only one finds it.
          ConditionExpression: 'attribute_exists(pk) AND #hash = :hash',
          ExpressionAttributeNames: { '#hash': 'hash' },
          ExpressionAttributeValues: { ':hash': code.hash },
        }),
        transactItem.put({
          TableName: tableName,
          Item: toSessionItem(session),
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ],
      event,
    );
    for (let attempt = 0; ; attempt += 1) {
      try {
        await transactWrite(client, items);
        return true;
      } catch (error) {
        const [onCode] = cancellationCodes(error) ?? [];
        if (onCode === 'ConditionalCheckFailed') return false;
        // a conflict with the exchange that is taking the code: the next try finds it gone.
        if (onCode === 'TransactionConflict' && attempt < (this.props.conflictRetries ?? 3)) continue;
        throw error;
      }
    }
  }
}
