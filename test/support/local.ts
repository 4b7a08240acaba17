import { randomUUID } from 'node:crypto';
import { startKeygateLocal, type LocalKeygate, type LocalOptions } from '../../local/app';
import { recordingLogger } from './fixtures';
import { testEndpoint } from './dynamodb';

/** A local keygate on a free port, over the run's DynamoDB Local, with a table of its own. */
export async function startTestKeygate(options: LocalOptions = {}): Promise<LocalKeygate & { requests: string[] }> {
  const requests: string[] = [];
  const keygate = await startKeygateLocal({
    port: 0,
    dynamodbEndpoint: testEndpoint(),
    tableName: `keygate-e2e-${randomUUID().slice(0, 8)}`,
    logger: recordingLogger(),
    requestLog: (line) => requests.push(line),
    eventLog: () => undefined,
    ...options,
  });
  return Object.assign(keygate, { requests });
}

/** A JSON call over real HTTP. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { key?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(`${base}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}
