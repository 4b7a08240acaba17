import type { IdempotencyRecord, IdempotencyStore } from '../../../lambdas/core/http/idempotency';

/** An {@link IdempotencyStore} in memory with the DynamoDB store's claim rule, minus expiry and locks. */
export function memoryIdempotencyStore(): IdempotencyStore & { readonly records: Map<string, IdempotencyRecord> } {
  const records = new Map<string, IdempotencyRecord>();
  return {
    records,
    claim: async (id, fingerprint) => {
      const record = records.get(id);
      if (record !== undefined) return { claimed: false, record };
      records.set(id, { fingerprint, status: 'pending' });
      return { claimed: true };
    },
    complete: async (id, fingerprint, response) => void records.set(id, { fingerprint, status: 'done', response }),
    release: async (id) => void records.delete(id),
  };
}
