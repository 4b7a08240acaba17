import { DynamoDBClient, TransactionCanceledException, TransactionConflictException } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { tenantEvent, ADMIN_CLI } from '../../lambdas/core/events/changes';
import { expiryAt } from '../../lambdas/core/keys/expiry';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { TenantChangedError } from '../../lambdas/core/store/store';
import { keyFixture, tenantFixture } from '../support/fixtures';
import { instant } from '../support/time';

/**
 * DynamoDB cancels a transaction, or refuses a single write, that meets another transaction on
 * the same item (TransactionConflict). On the tenant item that is another writer changing the
 * tenant: the store says so as it does for a moved version, so the caller decides again.
 */
const ddb = mockClient(DynamoDBDocumentClient);
const store = new DynamoKeyStore({
  client: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' })),
  tableName: 'keys',
});
beforeEach(() => ddb.reset());

const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
    $metadata: {},
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('a transaction conflict on the tenant item', () => {
  const tenant = tenantFixture();
  const { item } = keyFixture({ tenant });

  it('fails a key creation with TenantChangedError', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict', 'None'));

    await expect(store.createKey(item)).rejects.toBeInstanceOf(TenantChangedError);
  });

  it('fails a rotation with TenantChangedError', async () => {
    ddb.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'TransactionConflict'));

    await expect(
      store.rotateKey(tenant.tenantId, 'key_000000000000000000000001', item, expiryAt(null), new Date(instant(0))),
    ).rejects.toBeInstanceOf(TenantChangedError);
  });

  it('fails a tenant change with TenantChangedError, alone or with its event', async () => {
    ddb.on(UpdateCommand).rejects(new TransactionConflictException({ message: 'conflict', $metadata: {} }));
    ddb.on(TransactWriteCommand).rejects(cancelled('TransactionConflict', 'None'));

    await expect(store.updateTenant(tenant.tenantId, 1, { plan: 'growth' })).rejects.toBeInstanceOf(TenantChangedError);
    await expect(
      store.updateTenant(
        tenant.tenantId,
        1,
        { status: 'suspended' },
        tenantEvent('tenant.suspended', ADMIN_CLI, tenant.tenantId, new Date(instant(0))),
      ),
    ).rejects.toBeInstanceOf(TenantChangedError);
  });
});
