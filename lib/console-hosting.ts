import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudfront from 'aws-cdk-lib/aws-cloudfront';
import * as origins from 'aws-cdk-lib/aws-cloudfront-origins';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3assets from 'aws-cdk-lib/aws-s3-assets';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';

/**
 * The operator console as its build makes it (`bin/console-files.ts` runs the build `npm start`
 * serves): its page, and every other file by its key in the bucket, as the page names them.
 */
export interface ConsoleFiles {
  /** The HTML page, served at the distribution's root; it names its script by absolute path. */
  readonly page: string;
  /** The other files by bucket key (`console/app.js`), as text. */
  readonly assets: Readonly<Record<string, string>>;
}

/** Properties of a {@link ConsoleHosting}. */
export interface ConsoleHostingProps {
  /** The built console. */
  readonly files: ConsoleFiles;
  /** keygate's REST API, which the console calls through CORS. */
  readonly api: apigateway.RestApi;
}

/** The name of the `<meta>` element that tells the console where keygate's API is. */
export const API_META_NAME = 'keygate-api';

const escapeAttribute = (value: string): string =>
  value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * The console's page with `<meta name="keygate-api" content="<apiUrl>">` in its head: on its own
 * origin the console cannot guess the API's, and a meta element needs no inline script, which the
 * CSP forbids. A token in `apiUrl` is resolved by the deployment.
 *
 * @throws Error when the page has no `</head>` to put the element before.
 */
export function consolePage(page: string, apiUrl: string): string {
  const head = page.indexOf('</head>');
  if (head < 0) throw new Error('the console page has no </head> to put the API meta element in');
  // before the first script of the head, so the element is there for any script that runs.
  const script = page.indexOf('<script');
  const at = script >= 0 && script < head ? script : head;
  return `${page.slice(0, at)}<meta name="${API_META_NAME}" content="${escapeAttribute(apiUrl)}" />\n    ${page.slice(at)}`;
}

/**
 * The console's Content-Security-Policy: nothing by default; scripts, styles (Lit's constructed
 * stylesheets) and the icon from the console's own origin, as the local `/console` allows; calls
 * to keygate's API only; no `<base>`, no form submitted anywhere, no framing.
 */
export function consoleCsp(apiOrigin: string): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    `connect-src ${apiOrigin}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The operator console on AWS: its files in a private S3 bucket (all public access blocked,
 * SSL only, encrypted), read only by a CloudFront distribution through an origin access control
 * (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html),
 * HTTP redirected to HTTPS, every answer with a strict CSP, HSTS, nosniff, `DENY` framing and no
 * referrer. The page is told the API's URL at deploy time; add {@link origin} to the API's CORS
 * origins.
 */
export class ConsoleHosting extends Construct {
  /** The private bucket of the console's files. */
  public readonly bucket: s3.Bucket;
  /** The CloudFront distribution that serves them. */
  public readonly distribution: cloudfront.Distribution;
  /** The security headers of every answer. */
  public readonly headers: cloudfront.ResponseHeadersPolicy;
  /** Copies the built files into the bucket on each deploy. */
  public readonly deployment: s3deploy.BucketDeployment;
  /** The console's origin, `https://<distribution domain>`: the API must allow it (CORS). */
  public readonly origin: string;
  /** The console's address. */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ConsoleHostingProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // the API's origin, without the stage: the stage hangs on the deployment, which hangs on the
    // preflights that name this distribution, so naming the stage here would make a cycle.
    const apiOrigin = `https://${props.api.restApiId}.execute-api.${stack.region}.${stack.urlSuffix}`;

    this.bucket = new s3.Bucket(this, 'Files', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      encryption: s3.BucketEncryption.S3_MANAGED,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // the deployment empties the bucket when the stack goes (retainOnDelete: false).
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.headers = new cloudfront.ResponseHeadersPolicy(this, 'Headers', {
      comment: 'keygate console: strict CSP and security headers',
      securityHeadersBehavior: {
        contentSecurityPolicy: { contentSecurityPolicy: consoleCsp(apiOrigin), override: true },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.days(730),
          includeSubdomains: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: cloudfront.HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: cloudfront.HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new cloudfront.Distribution(this, 'Distribution', {
      comment: 'keygate operator console',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: origins.S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: cloudfront.ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: cloudfront.AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: cloudfront.CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: this.headers,
      },
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;
    this.url = `${this.origin}/`;

    this.deployment = new s3deploy.BucketDeployment(this, 'Deploy', {
      destinationBucket: this.bucket,
      sources: [
        s3deploy.Source.data('index.html', consolePage(props.files.page, props.api.url)),
        ...Object.entries(props.files.assets).map(([key, text]) => s3deploy.Source.data(key, text)),
      ],
      // browsers and CloudFront ask S3 again on each load (an ETag makes it a 304): a deploy
      // shows at once, with no invalidation to wait for or pay.
      cacheControl: [s3deploy.CacheControl.noCache()],
      prune: true,
      retainOnDelete: false,
    });
    this.acknowledge();
  }

  private acknowledge(): void {
    // the CDK's one deployment handler per stack: its function, role and policy.
    const handler = this.deployment.handlerRole.node.scope ?? this.deployment.handlerRole;
    const assetBucket = this.deployment.node.children.find((child) => child instanceof s3assets.Asset)?.bucket;
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "the CDK's BucketDeployment handler uses the AWS-maintained basic execution role to log",
      },
      { id: 'AwsSolutions-L1', reason: "the CDK's BucketDeployment handler runs the runtime the CDK version pins" },
      ...['s3:GetBucket*', 's3:GetObject*', 's3:List*', 's3:Abort*', 's3:DeleteObject*'].map((action) => ({
        id: `AwsSolutions-IAM5[Action::${action}]`,
        reason:
          "the CDK's grants for BucketDeployment: read the staged files, and sync the console's bucket (deleting what the build no longer has)",
      })),
      ...[this.bucket, assetBucket]
        .filter((bucket) => bucket !== undefined)
        .map((bucket) => ({
          id: `AwsSolutions-IAM5[Resource::${nagFlat(Stack.of(this).resolve(bucket.arnForObjects('*')))}]`,
          reason:
            "the objects of the console's bucket and of the CDK's staging bucket, which the deployment copies from",
        })),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        "the bucket holds the console's static files, the same for everyone; what an operator does is in the API's access log and audit trail",
    });
    Validations.of(this.distribution).acknowledge(
      {
        id: 'AwsSolutions-CFR1',
        reason: "operators may work from anywhere; the console's files hold no data, the API checks every call",
      },
      {
        id: 'AwsSolutions-CFR2',
        reason:
          "a web ACL for CloudFront must live in us-east-1; the console's files are static and public by design, the API behind it has keygate:waf",
      },
      {
        id: 'AwsSolutions-CFR3',
        reason:
          "the console's files are static and the same for everyone; what an operator does is in the API's access log and audit trail",
      },
      // https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ViewerCertificate.html
      {
        id: 'AwsSolutions-CFR4',
        reason:
          'the default *.cloudfront.net certificate: CloudFront fixes its minimum protocol and it cannot be raised without a domain and certificate of your own',
      },
    );
  }
}

/**
 * A resolved CloudFormation value as cdk-nag names it in a finding (`Ref` as `<Id>`, `Fn::GetAtt`
 * as `<Id.Attr>`, `Fn::Join` joined, `Fn::Sub`'s `${X}` as `<X>`), to acknowledge that one finding.
 */
function nagFlat(value: unknown): string {
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const v = value as Record<string, unknown>;
  if (Array.isArray(v['Fn::Join'])) {
    const [delimiter, items] = v['Fn::Join'] as [string, unknown[]];
    return items.map(nagFlat).join(delimiter);
  }
  if (v['Fn::Sub'] !== undefined) return nagFlat(v['Fn::Sub']);
  if (Array.isArray(v['Fn::GetAtt'])) return `<${(v['Fn::GetAtt'] as string[]).join('.')}>`;
  if (v.Ref !== undefined) return `<${String(v.Ref)}>`;
  return JSON.stringify(value);
}
