import { ThrottledLastUse } from '../core/auth/authorize';
import { apiIdOf } from '../core/auth/policy';
import { systemClock } from '../core/support/clock';
import { jsonLogger } from '../core/support/logger';
import type { DynamoDbHttp } from '../runtime/dynamodb-http';
import { booleanFromEnv, jsonFromEnv, numberFromEnv, stringFromEnv } from '../runtime/env';
import { ENV } from '../runtime/env-names';
import { keyFormatsFromEnv } from '../runtime/key-formats';
import { parseRouteRoles } from '../runtime/route-roles';
import { SignedKeyReader, type SignedKeyReaderProps } from '../runtime/signed-key-reader';
import { createAuthorizerHandler } from './handler';

/**
 * The authorizer as Lambda runs it, from the function's environment: its one read and one write
 * are signed requests over `node:https` (SigV4 on `node:crypto`), not the AWS SDK nor `fetch`:
 * it is on every uncached request's path, and the SDK's load, or Node's first `fetch` and
 * WebCrypto, were most of its cold start. Lambda puts the function's session credentials in the
 * environment.
 *
 * @param transport - how the signed requests are sent; the benchmark passes the former `fetch`
 *   transport to measure it under the same entry. Default: {@link DynamoDbHttp}.
 */
export function authorizerFromEnvironment(transport?: (props: SignedKeyReaderProps) => Pick<DynamoDbHttp, 'call'>) {
  const logger = jsonLogger({ function: 'authorizer' });
  const props: SignedKeyReaderProps = {
    tableName: stringFromEnv(ENV.tableName),
    region: stringFromEnv('AWS_REGION'),
    accessKeyId: stringFromEnv('AWS_ACCESS_KEY_ID'),
    secretAccessKey: stringFromEnv('AWS_SECRET_ACCESS_KEY'),
    ...(process.env.AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: process.env.AWS_SESSION_TOKEN }),
    // the endpoint's host is the partition's (`amazonaws.com.cn` in China), not always `amazonaws.com`.
    ...(process.env[ENV.dnsSuffix] === undefined ? {} : { dnsSuffix: process.env[ENV.dnsSuffix] }),
    ...(process.env[ENV.dynamodbEndpoint] === undefined ? {} : { endpoint: process.env[ENV.dynamodbEndpoint] }),
  };
  const keys = new SignedKeyReader(props, transport?.(props));
  const denySuspendedApi = process.env[ENV.denySuspendedApiId];
  return createAuthorizerHandler({
    store: keys,
    // fail closed: only the function of keygate's own routes is told to take sessions.
    ...(booleanFromEnv(ENV.acceptSessions, false) ? { sessions: keys } : {}),
    prefix: stringFromEnv(ENV.keyPrefix),
    formats: keyFormatsFromEnv(ENV.keyFormats),
    acceptBareKeys: booleanFromEnv(ENV.acceptBareKeys),
    clock: systemClock,
    logger,
    lastUse: new ThrottledLastUse(keys, logger, numberFromEnv(ENV.lastUsedIntervalSeconds) * 1000),
    routeRoles: parseRouteRoles(jsonFromEnv<unknown>(ENV.routeRoles)),
    ...(process.env[ENV.workspaceSegment] === undefined
      ? {}
      : { workspaceSegment: numberFromEnv(ENV.workspaceSegment) }),
    // the keys-only function serves the front door on keygate's API and the guarded API: only the latter answers `suspended`.
    ...(denySuspendedApi === undefined
      ? {}
      : { denySuspended: (methodArn: string) => apiIdOf(methodArn) === denySuspendedApi }),
  });
}
