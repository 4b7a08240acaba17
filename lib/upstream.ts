import { Duration, SecretValue, Validations } from 'aws-cdk-lib';
import * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  CONTEXT_HEADERS,
  REDACTED_AUTHORIZATION,
  SECRET_HEADER,
  UPSTREAM_TIMEOUT_MS,
  WORKSPACES_HEADER,
} from '../lambdas/core/http/upstream';

/** Properties of a {@link KeygateUpstream}. */
export interface KeygateUpstreamProps {
  /** The API whose root and `{proxy+}` catch-all forward to the upstream. */
  readonly api: apigateway.RestApi;
  /**
   * The authorizer every forwarded method is behind: `KeyAuthorizer.keysOnlyAuthorizerFor(api)`,
   * never the one of keygate's own routes, whose cached session Allow would pass here.
   */
  readonly authorizer: apigateway.IAuthorizer;
  /** The backend's base URL: `https://`, no query or fragment; the request's path is appended. */
  readonly url: string;
  /**
   * The secret whose `SecretString` is sent to the upstream as `x-keygate-secret`, so the backend
   * can refuse requests that did not come through keygate.
   *
   * @default - a new secret of 48 random letters and digits
   */
  readonly secret?: secretsmanager.ISecret;
  /**
   * The version of `secret` to send. CloudFormation resolves a dynamic reference only when the
   * reference itself changes, and API Gateway serves a changed integration only from a new
   * deployment: naming the version is what makes a redeploy pick up a rotated value.
   *
   * @default - the version current when the reference is first resolved
   */
  readonly secretVersionId?: string;
  /**
   * How long API Gateway waits for the upstream (50 ms to 29 s).
   *
   * @default - 29 seconds, API Gateway's maximum
   */
  readonly timeout?: Duration;
  /**
   * Whether the authorizer's context carries `workspaces` (`keygate:workspacePathSegment`), to be
   * sent on as `x-keygate-workspaces`.
   *
   * @default false
   */
  readonly workspaces?: boolean;
}

/**
 * The front door: `ANY /` and `ANY /{proxy+}` forward to an HTTP backend through an HTTP proxy
 * integration, behind the key authorizer and `apiKeyRequired` (so the tenant's usage plan
 * applies). Resources the API already has keep precedence: API Gateway routes to the most
 * specific resource. The upstream receives the authorizer context as `x-keygate-*` headers
 * (a client's own values for them are overwritten), the secret header, and a fixed
 * `Authorization` in place of the key.
 */
export class KeygateUpstream extends Construct {
  /** The secret sent as `x-keygate-secret`. */
  public readonly secret: secretsmanager.ISecret;
  /** `ANY /{proxy+}`. */
  public readonly proxyMethod: apigateway.Method;
  /** `ANY /`. */
  public readonly rootMethod: apigateway.Method;

  constructor(scope: Construct, id: string, props: KeygateUpstreamProps) {
    super(scope, id);
    const url = validateUrl(props.url);
    const timeout = props.timeout ?? Duration.millis(UPSTREAM_TIMEOUT_MS);
    this.secret =
      props.secret ??
      new secretsmanager.Secret(this, 'Secret', {
        description: 'keygate: sent to the upstream as x-keygate-secret, so it can tell requests came through keygate',
        generateSecretString: { passwordLength: 48, excludePunctuation: true },
      });
    if (props.secret === undefined) {
      Validations.of(this.secret).acknowledge({
        id: 'AwsSolutions-SMG4',
        reason:
          'the value is resolved into the integration at deploy time; rotating it is a new version, a redeploy naming it (keygate:upstreamSecretVersion) and a backend change together',
      });
    }
    // a dynamic reference: CloudFormation resolves it at deploy time, so it is never in the
    // template; with a version id it changes when the version does, and so does the method, which
    // gives the API a new deployment (CDK hashes the methods into the deployment's logical id).
    // https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references-secretsmanager.html
    const reference =
      props.secretVersionId === undefined
        ? this.secret.secretValue
        : SecretValue.secretsManager(this.secret.secretArn, { versionId: props.secretVersionId });
    const secretValue = `'${reference.unsafeUnwrap()}'`;
    const requestParameters: Record<string, string> = {
      [`integration.request.header.${SECRET_HEADER}`]: secretValue,
      'integration.request.header.Authorization': `'${REDACTED_AUTHORIZATION}'`,
    };
    for (const [field, header] of Object.entries(CONTEXT_HEADERS)) {
      requestParameters[`integration.request.header.${header}`] = `context.authorizer.${field}`;
    }
    if (props.workspaces === true) {
      requestParameters[`integration.request.header.${WORKSPACES_HEADER}`] = 'context.authorizer.workspaces';
    }
    const methodOptions: apigateway.MethodOptions = {
      authorizer: props.authorizer,
      authorizationType: apigateway.AuthorizationType.CUSTOM,
      apiKeyRequired: true,
    };
    const rootIntegration = new apigateway.HttpIntegration(`${url}/`, {
      proxy: true,
      httpMethod: 'ANY',
      options: { timeout, requestParameters },
    });
    const proxyIntegration = new apigateway.HttpIntegration(`${url}/{proxy}`, {
      proxy: true,
      httpMethod: 'ANY',
      options: {
        timeout,
        requestParameters: { ...requestParameters, 'integration.request.path.proxy': 'method.request.path.proxy' },
      },
    });
    this.rootMethod = props.api.root.addMethod('ANY', rootIntegration, methodOptions);
    this.proxyMethod = props.api.root.addResource('{proxy+}').addMethod('ANY', proxyIntegration, {
      ...methodOptions,
      requestParameters: { 'method.request.path.proxy': true },
    });
    // bodies pass through byte for byte: without a binary media type api gateway would re-encode
    // a non-text body as UTF-8. keygate's own handlers decode base64 bodies.
    const cfnApi = props.api.node.defaultChild as apigateway.CfnRestApi;
    if (cfnApi.binaryMediaTypes === undefined) cfnApi.binaryMediaTypes = ['*/*'];
  }
}

function validateUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`KeygateUpstream url must be an absolute https URL, received ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'https:')
    throw new Error(`KeygateUpstream url must use https, received ${JSON.stringify(url)}`);
  if (parsed.search !== '' || parsed.hash !== '' || parsed.username !== '' || parsed.password !== '') {
    throw new Error(
      `KeygateUpstream url must not carry credentials, a query or a fragment, received ${JSON.stringify(url)}`,
    );
  }
  return parsed.href.replace(/\/+$/, '');
}
