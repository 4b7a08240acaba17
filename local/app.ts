import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createAccountHandler } from '../lambdas/account/handler';
import { createAuthorizerHandler } from '../lambdas/authorizer/handler';
import { createKeysHandler } from '../lambdas/keys/handler';
import { ThrottledLastUse } from '../lambdas/core/authorize';
import { ensureOperator } from '../lambdas/core/bootstrap';
import { systemClock, type Clock } from '../lambdas/core/clock';
import { DynamoKeyStore } from '../lambdas/core/dynamodb-store';
import { tokenValidationPattern } from '../lambdas/core/keys';
import { jsonLogger, type Logger } from '../lambdas/core/logger';
import { ROUTES } from '../lambdas/core/routes';
import { documentClient } from '../lambdas/runtime/dynamodb-client';
import { LOCAL_AWS, startDynamoDbLocal, type DynamoDbLocal } from './dynamodb-local';
import { LocalGateway } from './gateway';
import { ensureTable } from './table';

/** How to run keygate locally; every field has a default fit for `npm start`. */
export interface LocalOptions {
  /** @default 3000; 0 picks a free port. */
  readonly port?: number;
  /** Use this DynamoDB instead of starting DynamoDB Local. */
  readonly dynamodbEndpoint?: string;
  /** Keep DynamoDB Local's data here across restarts. @default - in memory. */
  readonly dataDir?: string;
  /** @default 'keygate-keys' */
  readonly tableName?: string;
  /** @default 'sk' */
  readonly keyPrefix?: string;
  /** @default true */
  readonly acceptBareKeys?: boolean;
  /** @default 300 */
  readonly cacheTtlSeconds?: number;
  /** @default - the system clock. */
  readonly clock?: Clock;
  /** Where handlers and the authorizer log. @default - JSON lines on stdout. */
  readonly logger?: Logger;
  /** Where the gateway writes its one line per request. @default - stdout. */
  readonly requestLog?: (line: string) => void;
}

/** A running local keygate. */
export interface LocalKeygate {
  readonly url: string;
  readonly port: number;
  /** The operator key, when this start created it (shown once, like any key). */
  readonly operatorKey: string | undefined;
  readonly gateway: LocalGateway;
  readonly store: DynamoKeyStore;
  /** Waits for the authorizer's pending last-use writes; for tests. */
  settle(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts keygate on this machine: the embedded DynamoDB (or the given one), the table, the
 * operator tenant with its first key, and the local gateway over the real authorizer and
 * handlers.
 */
export async function startKeygateLocal(options: LocalOptions = {}): Promise<LocalKeygate> {
  const prefix = options.keyPrefix ?? 'sk';
  const acceptBareKeys = options.acceptBareKeys ?? true;
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? jsonLogger({ source: 'keygate-local' });
  const tableName = options.tableName ?? 'keygate-keys';

  let embedded: DynamoDbLocal | undefined;
  const endpoint = options.dynamodbEndpoint ?? (embedded = await startDynamoDbLocal({ dataDir: options.dataDir })).endpoint;
  const client = new DynamoDBClient({ endpoint, ...LOCAL_AWS });
  try {
    await ensureTable(client, tableName);
    const store = new DynamoKeyStore({ client: documentClient(client), tableName });
    const operatorKey = await ensureOperator({ store, prefix, clock, plan: 'scale', limits: { rateLimit: 1000, burstLimit: 2000 } });

    const lastUse = new ThrottledLastUse(store, logger);
    const deps = { store, clock, logger };
    // the handlers flush the gateway's cache through the same seam as FlushStageAuthorizersCache.
    const cache = { flush: async () => gateway.flushAuthorizerCache() };
    const gateway: LocalGateway = new LocalGateway({
      routes: ROUTES,
      handlers: {
        account: createAccountHandler(deps),
        keys: createKeysHandler({ ...deps, prefix, cache }),
        panel: notYet,
      },
      authorizer: createAuthorizerHandler({ store, prefix, acceptBareKeys, clock, logger, lastUse }),
      identityValidation: new RegExp(tokenValidationPattern(prefix, acceptBareKeys)),
      cacheTtlMs: (options.cacheTtlSeconds ?? 300) * 1000,
      log: options.requestLog,
      now: () => clock().getTime(),
    });
    const { url, port } = await gateway.listen(options.port ?? 3000);
    return {
      url,
      port,
      operatorKey,
      gateway,
      store,
      settle: () => lastUse.settle(),
      stop: async () => {
        await gateway.close();
        await lastUse.settle();
        client.destroy();
        await embedded?.stop();
      },
    };
  } catch (error) {
    client.destroy();
    await embedded?.stop();
    throw error;
  }
}

const notYet = async () => ({ statusCode: 501, body: '{"error":{"code":"internal_error","message":"not implemented yet"}}' });
