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
 * A Lambda TOKEN authorizer that checks API keys against the key table; attach
 * {@link authorizer} to the methods of any `RestApi`. API Gateway's identity validation
 * expression turns away tokens of the wrong shape before the Lambda runs; the Lambda may read
 * keys and write only their `lastUsedAt` (and that use's day, `gsi4pk`, for the notice job).
 */
export class KeyAuthorizer extends Construct {
  /** The API Gateway authorizer, for `addMethod(..., { authorizer })`. */
  public readonly authorizer: apigateway.TokenAuthorizer;
  /** The authorizer's Lambda function. */
  public readonly function: KeygateFunction;
  /**
   * The function's timeout: the longest an authorizer call can be in flight, hence how long
   * after a cache flush a stale answer can still arrive (see `AuthorizerCacheFlush`).
   */
  public readonly timeout: Duration;
  private readonly routeRoles: RouteRoles[] = [];
  private readonly stageNames: string[] = [];
  private readonly tokenAuthorizerProps: apigateway.TokenAuthorizerProps;
  private readonly others = new Map<apigateway.IRestApi, apigateway.TokenAuthorizer>();

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
    this.function = new KeygateFunction(this, 'Function', {
      entry: 'authorizer/index.ts',
      timeout: this.timeout,
      description: 'keygate: checks API keys for API Gateway',
      // a bigger function gets more CPU: the cold start (load, TLS) is on a request's path.
      memorySize: 512,
      // on every uncached request's path: a smaller bundle that loads faster beats mapped traces.
      sourceMaps: false,
      // measured (`npm run bench`): for this 16 kB bundle ES modules change neither its size nor its cold
      // start; CommonJS lets the benchmark's cold-start harness load it with a plain require.
      moduleFormat: 'cjs',
      environment: {
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
      },
    });
    props.table.grantAuthorizerAccess(this.function);
    // at synthesis, once every route has added its rule: too many fail `cdk synth`, with the limit named.
    for (const name of props.stageNames ?? ['s'.repeat(LONGEST_STAGE_NAME)]) this.addStageName(name);
    this.node.addValidation({
      validate: () => {
        const cfn = this.function.node.defaultChild as lambda.CfnFunction;
        const environment = Stack.of(this).resolve(cfn.environment) as
          { variables?: Record<string, unknown> } | undefined;
        return authorizerLimitErrors(
          environment?.variables ?? {},
          this.routeRoles,
          this.stageNames,
          props.workspaceSegment,
        );
      },
    });

    this.tokenAuthorizerProps = {
      handler: this.function,
      identitySource: apigateway.IdentitySource.header('Authorization'),
      validationRegex: tokenValidationPatternFor(keyFormats, acceptBareKeys),
      resultsCacheTtl,
    };
    this.authorizer = new apigateway.TokenAuthorizer(this, 'Authorizer', this.tokenAuthorizerProps);
  }

  /**
   * An authorizer for another `RestApi`, over the same function and settings: an API Gateway
   * authorizer belongs to one API, so {@link authorizer} cannot be attached to a second one.
   * Flush that API's stage too (`KeygateStack.protectStage`), or revocations wait for its cache.
   */
  authorizerFor(api: apigateway.IRestApi): apigateway.TokenAuthorizer {
    let authorizer = this.others.get(api);
    if (authorizer === undefined) {
      authorizer = new apigateway.TokenAuthorizer(
        this,
        `AuthorizerFor${Names.uniqueId(api)}`,
        this.tokenAuthorizerProps,
      );
      this.others.set(api, authorizer);
    }
    return authorizer;
  }

  /**
   * Gives a suspended tenant's key a Deny on `api`'s methods, naming the refusal in its context,
   * so that API's `ACCESS_DENIED` gateway response answers it; on every other API it stays a 401.
   */
  denySuspendedOn(api: apigateway.IRestApi): void {
    this.function.addEnvironment(ENV.denySuspendedApiId, api.restApiId);
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
