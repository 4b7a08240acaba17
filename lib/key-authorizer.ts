import { Aws, Duration, Lazy, Names, Stack, Token } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import {
  assertValidKeyFormat,
  assertValidPrefix,
  defaultFormatFor,
  tokenValidationPatternFor,
  type KeyFormat,
} from '../lambdas/core/keys/format';
import { assertValidRoute, type RouteRoles } from '../lambdas/core/auth/route-policy';
import { authorizerLimitErrors, LONGEST_STAGE_NAME } from './authorizer-limits';
import { KeygateFunction } from './keygate-function';
import type { KeyTable } from './key-table';
import { DEFAULT_SETTINGS, INTEGER_RANGES, MAX_AUTHORIZER_CACHE_TTL_SECONDS } from './settings';
import { ENV } from '../lambdas/runtime/env-names';

/** Properties of a {@link KeyAuthorizer}. */
export interface KeyAuthorizerProps {
  /** The table the keys are stored in. */
  readonly table: KeyTable;
  /**
   * The key prefix, as in `sk_live_...`: 1–16 lowercase letters or digits, starting with a letter.
   *
   * @default - `sk`
   */
  readonly keyPrefix?: string;
  /**
   * The key formats accepted, the one new keys are minted in first (`keygate:keyFormat`, then
   * `keygate:acceptedKeyFormats`): the identity-validation expression admits exactly their shapes.
   *
   * @default - the default format under `keyPrefix`
   */
  readonly keyFormats?: readonly KeyFormat[];
  /**
   * Whether a key sent without the `Bearer` scheme (`Authorization: sk_live_...`) is accepted.
   *
   * @default - true: bare keys are accepted
   */
  readonly acceptBareKeys?: boolean;
  /**
   * How long API Gateway caches an answer per token, 0–3600 s; `Duration.seconds(0)` turns the
   * cache off. Revocations flush the stage's cache, so a long TTL does not delay them.
   *
   * @default - 300 seconds
   */
  readonly resultsCacheTtl?: Duration;
  /**
   * How often, at most, a key's `lastUsedAt` is written, 1 minute to 1 day: the write is most of
   * the authorizer's DynamoDB cost once its results are cached.
   *
   * @default - 1 minute
   */
  readonly lastUsedInterval?: Duration;
  /**
   * The stages the authorizer guards, by name: the policy it returns names the stage in every
   * statement, so the longest sets how many route rules fit in API Gateway's 8 KB.
   *
   * @default - a stage name of 128 characters, the longest API Gateway takes
   */
  readonly stageNames?: readonly string[];
  /**
   * The 1-based index of the path segment that names a workspace (`keygate:workspacePathSegment`):
   * keys then reach only their tenant's workspaces there, and the context carries `workspaces`.
   *
   * @default - none: keys reach the whole API
   */
  readonly workspaceSegment?: number;
}

/**
 * A Lambda TOKEN authorizer that checks API keys against the key table, as two authorizers over
 * one bundle. {@link authorizer} guards keygate's own routes and takes session tokens too; every
 * other method (the front door, `addRoute` routes, another `RestApi`) gets
 * {@link keysOnlyAuthorizerFor}, whose function refuses every session token, and whose identity
 * validation turns them away before it runs.
 *
 * Why two, not one: a TOKEN authorizer's policy is cached per token and reused for every method
 * that authorizer guards (https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-lambda-authorizer-output.html),
 * and a `*` in an execute-api ARN also matches `/`; a path no resource holds (`/v1/panel/made/up`)
 * goes to the front door's `ANY /{proxy+}`. A session's Allow on `/v1/panel/*` would then reach the
 * backend. The cache is the authorizer's own (`authorizerResultTtlInSeconds` is set per
 * authorizer, https://docs.aws.amazon.com/apigateway/latest/api/API_Authorizer.html), so an answer
 * cached for keygate's routes is never served on the keys-only authorizer's methods. The
 * functions may read keys and write only their `lastUsedAt` (and that use's day, `gsi4pk`, for
 * the notice job).
 */
export class KeyAuthorizer extends Construct {
  /** The API Gateway authorizer of keygate's own routes (keys and sessions), for `addMethod(..., { authorizer })`. */
  public readonly authorizer: apigateway.TokenAuthorizer;
  /** The Lambda function of {@link authorizer}: keys and sessions. */
  public readonly function: KeygateFunction;
  /** The Lambda function of {@link keysOnlyAuthorizerFor}: the same bundle and settings, keys only. */
  public readonly keysOnlyFunction: KeygateFunction;
  /**
   * The function's timeout: the longest an authorizer call can be in flight, hence how long
   * after a cache flush a stale answer can still arrive (see `AuthorizerCacheFlush`).
   */
  public readonly timeout: Duration;
  private readonly routeRoles: RouteRoles[] = [];
  private readonly stageNames: string[] = [];
  private readonly keysOnlyProps: apigateway.TokenAuthorizerProps;
  private readonly keysOnly = new Map<apigateway.IRestApi, apigateway.TokenAuthorizer>();

  constructor(scope: Construct, id: string, props: KeyAuthorizerProps) {
    super(scope, id);
    const keyPrefix = props.keyPrefix ?? DEFAULT_SETTINGS.keyPrefix;
    const acceptBareKeys = props.acceptBareKeys ?? DEFAULT_SETTINGS.acceptBareKeys;
    const resultsCacheTtl = props.resultsCacheTtl ?? Duration.seconds(DEFAULT_SETTINGS.authorizerCacheTtlSeconds);
    validate(keyPrefix, resultsCacheTtl);
    const keyFormats = props.keyFormats ?? [defaultFormatFor(keyPrefix)];
    if (keyFormats.length === 0) throw new Error('KeyAuthorizer keyFormats must list at least one format');
    keyFormats.forEach((format) => assertValidKeyFormat(format));
    const lastUsedIntervalSeconds = lastUsedSeconds(
      props.lastUsedInterval ?? Duration.seconds(DEFAULT_SETTINGS.lastUsedIntervalSeconds),
    );

    // short: one read, and it bounds how long a revoked key's in-flight authorization can last.
    this.timeout = Duration.seconds(3);
    const environment: Record<string, string> = {
      [ENV.tableName]: props.table.table.tableName,
      [ENV.keyPrefix]: keyPrefix,
      [ENV.keyFormats]: JSON.stringify(keyFormats),
      [ENV.acceptBareKeys]: String(acceptBareKeys),
      [ENV.lastUsedIntervalSeconds]: String(lastUsedIntervalSeconds),
      // rendered at synthesis, so routes added after the authorizer still get their rules.
      [ENV.routeRoles]: Lazy.string({ produce: () => JSON.stringify(this.routeRoles) }),
      ...(props.workspaceSegment === undefined ? {} : { [ENV.workspaceSegment]: String(props.workspaceSegment) }),
      // DynamoDB's endpoint is `dynamodb.<region>.<suffix>`, and the suffix is the partition's
      // (`amazonaws.com.cn` in China): https://docs.aws.amazon.com/general/latest/gr/ddb.html
      [ENV.dnsSuffix]: Aws.URL_SUFFIX,
    };
    this.function = this.authorizerFunction('Function', 'keygate: checks API keys and sessions for its own routes', {
      ...environment,
      [ENV.acceptSessions]: 'true',
    });
    this.keysOnlyFunction = this.authorizerFunction(
      'KeysOnlyFunction',
      'keygate: checks API keys for the front door, added routes and other APIs (keys only)',
      { ...environment, [ENV.acceptSessions]: 'false' },
    );
    props.table.grantAuthorizerAccess(this.function);
    props.table.grantAuthorizerAccess(this.keysOnlyFunction);
    // at synthesis, once every route has added its rule: too many fail `cdk synth`, with the limit named.
    for (const name of props.stageNames ?? ['s'.repeat(LONGEST_STAGE_NAME)]) this.addStageName(name);
    this.node.addValidation({
      validate: () => {
        const cfn = this.function.node.defaultChild as lambda.CfnFunction;
        const resolved = Stack.of(this).resolve(cfn.environment) as { variables?: Record<string, unknown> } | undefined;
        return authorizerLimitErrors(
          resolved?.variables ?? {},
          this.routeRoles,
          this.stageNames,
          props.workspaceSegment,
        );
      },
    });

    const tokenAuthorizerProps = {
      identitySource: apigateway.IdentitySource.header('Authorization'),
      resultsCacheTtl,
    };
    this.authorizer = new apigateway.TokenAuthorizer(this, 'Authorizer', {
      ...tokenAuthorizerProps,
      handler: this.function,
      validationRegex: tokenValidationPatternFor(keyFormats, acceptBareKeys, 'keysAndSessions'),
    });
    this.keysOnlyProps = {
      ...tokenAuthorizerProps,
      handler: this.keysOnlyFunction,
      validationRegex: tokenValidationPatternFor(keyFormats, acceptBareKeys, 'keys'),
    };
  }

  /** One of the two functions: the same bundle, settings and grants; `environment` says which. */
  private authorizerFunction(id: string, description: string, environment: Record<string, string>): KeygateFunction {
    return new KeygateFunction(this, id, {
      entry: 'authorizer/index.ts',
      timeout: this.timeout,
      description,
      // a bigger function gets more CPU: the cold start (load, TLS) is on a request's path.
      memorySize: 512,
      // on every uncached request's path: a smaller bundle that loads faster beats mapped traces.
      sourceMaps: false,
      // measured (`npm run bench`): for this 16 kB bundle ES modules change neither its size nor its cold
      // start; CommonJS lets the benchmark's cold-start harness load it with a plain require.
      moduleFormat: 'cjs',
      environment,
    });
  }

  /**
   * The keys-only authorizer of `api` (one per API: an API Gateway authorizer belongs to one),
   * for every method that is not one of keygate's own routes: the front door, `addRoute` routes,
   * an API of yours. It has {@link keysOnlyFunction}, the same settings and cache TTL, and a cache
   * of its own. For another API, flush its stage too (`KeygateStack.protectStage`), or
   * revocations wait for its cache.
   */
  keysOnlyAuthorizerFor(api: apigateway.IRestApi): apigateway.TokenAuthorizer {
    let authorizer = this.keysOnly.get(api);
    if (authorizer === undefined) {
      authorizer = new apigateway.TokenAuthorizer(this, `KeysOnlyFor${Names.uniqueId(api)}`, this.keysOnlyProps);
      this.keysOnly.set(api, authorizer);
    }
    return authorizer;
  }

  /**
   * Gives a suspended tenant's key a Deny on `api`'s methods (all keys-only: the routes guarded for
   * you), naming the refusal in its context, so that API's `ACCESS_DENIED` gateway response
   * answers it; on every other API it stays a 401.
   */
  denySuspendedOn(api: apigateway.IRestApi): void {
    this.keysOnlyFunction.addEnvironment(ENV.denySuspendedApiId, api.restApiId);
  }

  /**
   * Counts a stage this authorizer guards in the size of the policy it returns (see
   * {@link KeyAuthorizerProps.stageNames}); a name known only at deploy time counts as the longest.
   */
  addStageName(stageName: string): void {
    this.stageNames.push(Token.isUnresolved(stageName) ? 's'.repeat(LONGEST_STAGE_NAME) : stageName);
  }

  /**
   * Lets only `roles` call `method path`: every other role gets a Deny for it in the policy the
   * authorizer returns (one cached policy serves every route, so the rule must be in it).
   *
   * @throws Error when the route or a role is not valid.
   */
  restrictRoute(rule: RouteRoles): void {
    assertValidRoute(rule);
    this.routeRoles.push({ method: rule.method, path: rule.path, roles: [...rule.roles] });
  }
}

function validate(keyPrefix: string, resultsCacheTtl: Duration): void {
  assertValidPrefix(keyPrefix);
  if (resultsCacheTtl.isUnresolved()) {
    throw new Error('KeyAuthorizer resultsCacheTtl must be a literal duration, received an unresolved token');
  }
  const seconds = resultsCacheTtl.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_AUTHORIZER_CACHE_TTL_SECONDS) {
    throw new Error(
      `KeyAuthorizer resultsCacheTtl must be a whole number of seconds from 0 to ${MAX_AUTHORIZER_CACHE_TTL_SECONDS}, ` +
        `received ${resultsCacheTtl.toHumanString()}`,
    );
  }
}

/** The `lastUsedAt` write interval in whole seconds, from 1 minute to 1 day. */
function lastUsedSeconds(interval: Duration): number {
  const seconds = interval.isUnresolved() ? Number.NaN : interval.toSeconds({ integral: false });
  const [min, max] = INTEGER_RANGES.lastUsedIntervalSeconds;
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    throw new Error(
      `KeyAuthorizer lastUsedInterval must be a whole number of seconds from ${min} to ${max}, received ${interval.isUnresolved() ? 'an unresolved token' : interval.toHumanString()}`,
    );
  }
  return seconds;
}
