import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JavaMissingError, startDynamoDbLocal } from '../../local/dynamodb-local';

describe('startDynamoDbLocal', () => {
  it('refuses to start without java, with one line that says how to fix it', async () => {
    const path = process.env.PATH;
    process.env.PATH = mkdtempSync(join(tmpdir(), 'no-java-'));
    try {
      const error = await startDynamoDbLocal().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(JavaMissingError);
      expect((error as Error).message).not.toContain('\n');
      expect((error as Error).message).toMatch(/openjdk-17-jre-headless/);
      expect((error as Error).message).toMatch(/KEYGATE_DYNAMODB_ENDPOINT/);
    } finally {
      process.env.PATH = path;
    }
  });
});
