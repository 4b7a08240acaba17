import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startDynamoDbLocal, type DynamoDbLocal } from '../../local/dynamodb-local';

declare global {
  var __KEYGATE_DYNAMODB__: DynamoDbLocal | undefined;
}

/**
 * One DynamoDB Local for the whole run; test files each make their own table in it. Every layer
 * that needs it names this setup, and jest calls it once per such layer: the first call starts it.
 */
export default async function globalSetup(): Promise<void> {
  if (globalThis.__KEYGATE_DYNAMODB__ !== undefined) return;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const dynamodb = await startDynamoDbLocal();
  globalThis.__KEYGATE_DYNAMODB__ = dynamodb;
  // workers are forked after this and inherit it.
  process.env.KEYGATE_TEST_DYNAMODB_ENDPOINT = dynamodb.endpoint;
  // each test file appends what its leak scan covered (test/support/leak-check.ts); the teardown sums it.
  process.env.KEYGATE_LEAK_REPORT = join(mkdtempSync(join(tmpdir(), 'keygate-leaks-')), 'counts.jsonl');
}
