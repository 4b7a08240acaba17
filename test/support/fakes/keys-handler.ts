import { APIGatewayClient } from '@aws-sdk/client-api-gateway';
import { Idempotency } from '../../../lambdas/core/http/idempotency';
import { createKeysHandler } from '../../../lambdas/keys/handler';
import { StageCacheFlusher } from '../../../lambdas/runtime/stage-cache-flusher';
import { settlingFlusher } from '../flush';
import { fixedClock, keyFixture, recordingLogger, tenantFixture } from '../fixtures';
import { instant } from '../time';
import { memoryIdempotencyStore } from './memory-idempotency';
import { MemoryKeyStore } from './memory-key-store';

/**
 * The keys handler over in-memory fakes, with idempotency on: a tenant whose owner key was made
 * three weeks before the clock, which stands at {@link instant}`(0, '10:00')`.
 */
export async function keysHandlerOnFakes() {
  const store = new MemoryKeyStore();
  const tenant = tenantFixture();
  const owner = keyFixture({ role: 'owner', tenant, now: instant(-22, '09:00') }).item;
  await store.createTenant(tenant, owner);
  const clock = fixedClock(instant(0, '10:00'));
  const logger = recordingLogger();
  const cache = settlingFlusher(
    new StageCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), 'api123', 'prod'),
    clock,
  );
  const idempotency = new Idempotency({ store: memoryIdempotencyStore(), clock, logger });
  const handler = createKeysHandler({ store, clock, prefix: 'sk', cache, logger, idempotency });
  return { store, tenant, owner, clock, logger, handler };
}
