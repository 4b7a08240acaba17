import { randomUUID } from 'node:crypto';
import { startKeygateLocal, type LocalKeygate, type LocalOptions } from '../../local/app';
import { jsonLogger, type Logger } from '../../lambdas/core/support/logger';
import { recordingLogger } from './fixtures';
import { testEndpoint } from './dynamodb';
import { leakScan } from './leak-scan';

/** Passes every line on to `logger` and, serialized as the Lambdas write it, to the leak scan. */
function scanned(logger: Logger): Logger {
  const json = jsonLogger({ source: 'keygate-local' }, (line) => leakScan.log('JSON log', line));
  return {
    info: (message, fields) => (logger.info(message, fields), json.info(message, fields)),
    warn: (message, fields) => (logger.warn(message, fields), json.warn(message, fields)),
    error: (message, fields) => (logger.error(message, fields), json.error(message, fields)),
  };
}

/**
 * A local keygate on a free port, over the run's DynamoDB Local, with a table of its own whose
 * items do not expire unless `timeToLive` is set (fixtures may expire at injected instants).
 */
export async function startTestKeygate(options: LocalOptions = {}): Promise<LocalKeygate & { requests: string[] }> {
  const requests: string[] = [];
  const {
    logger = recordingLogger(),
    requestLog = (line: string) => requests.push(line),
    eventLog = () => undefined,
    ...rest
  } = options;
  const keygate = await startKeygateLocal({
    port: 0,
    dynamodbEndpoint: testEndpoint(),
    tableName: `keygate-e2e-${randomUUID().slice(0, 8)}`,
    timeToLive: false,
    ...rest,
    // every line either log writes is scanned for secrets after the test file (test/support/leak-check.ts).
    logger: scanned(logger),
    requestLog: (line) => (leakScan.log('request log', line), requestLog(line)),
    eventLog: (line) => (leakScan.log('event log', line), eventLog(line)),
  });
  if (keygate.operatorKey !== undefined) leakScan.secret(keygate.operatorKey);
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
  const authorization = Object.entries(headers).find(([name]) => name.toLowerCase() === 'authorization')?.[1];
  leakScan.response(
    `${method} ${path} ${response.status}`,
    method,
    authorization,
    `${JSON.stringify([...response.headers])}\n${text}`,
  );
  return { status: response.status, body: text === '' ? undefined : JSON.parse(text), headers: response.headers };
}
