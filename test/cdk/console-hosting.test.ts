import { Stack, type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { consoleFiles } from '../../bin/console-files';
import { consolePage, type ConsoleFiles } from '../../lib/console-hosting';
import { Keygate } from '../../lib/keygate';
import { KeygateStack } from '../../lib/keygate-stack';
import { DEFAULT_SETTINGS, resolveSettings } from '../../lib/settings';
import { testApp } from '../support/cdk';

type Resource = { Type: string; Properties: Record<string, any> };

const APP = 'https://app.example.com';
const ACAO = 'gatewayresponse.header.Access-Control-Allow-Origin';

let app: App;
let files: ConsoleFiles;
/** The console beside an origin of the team's own. */
let both: Template;
/** The console as the only origin. */
let only: Template;
let off: Template;

beforeAll(async () => {
  app = testApp();
  files = await consoleFiles();
  const settings = { ...DEFAULT_SETTINGS, console: true };
  const stacks = [
    new KeygateStack(app, 'Both', { settings: { ...settings, corsOrigins: [APP] }, consoleFiles: files }),
    new KeygateStack(app, 'Only', { settings, consoleFiles: files }),
    new KeygateStack(app, 'Off', { settings: DEFAULT_SETTINGS }),
  ];
  [both, only, off] = stacks.map((stack) => Template.fromStack(stack));
});

/** The one resource of a type, with its logical id. */
function one(t: Template, type: string): [string, Resource] {
  const found = Object.entries(t.findResources(type)) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0];
}

/**
 * A CloudFormation value as one string: `Fn::Join` pieces concatenated, `Ref` as `${Id}` and
 * `Fn::GetAtt` as `${Id.Attr}`, so an assertion reads like the value CloudFormation makes.
 */
function flat(value: unknown): string {
  if (typeof value === 'string') return value;
  const v = value as Record<string, any>;
  if (v.Ref !== undefined) return `\${${v.Ref}}`;
  if (v['Fn::GetAtt'] !== undefined) return `\${${(v['Fn::GetAtt'] as string[]).join('.')}}`;
  if (v['Fn::Join'] !== undefined) return (v['Fn::Join'][1] as unknown[]).map(flat).join(v['Fn::Join'][0]);
  throw new Error(`not a value this test reads: ${JSON.stringify(value)}`);
}

const distributionOrigin = (t: Template) => `https://\${${one(t, 'AWS::CloudFront::Distribution')[0]}.DomainName}`;
const apiOrigin = (t: Template) =>
  `https://\${${one(t, 'AWS::ApiGateway::RestApi')[0]}}.execute-api.\${AWS::Region}.\${AWS::URLSuffix}`;

describe('the bucket', () => {
  it('blocks every kind of public access and is encrypted', () => {
    const [, bucket] = one(both, 'AWS::S3::Bucket');
    expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration).toEqual([
      { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
    ]);
    expect(bucket.Properties.OwnershipControls).toEqual({ Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] });
    expect(bucket.Properties.WebsiteConfiguration).toBeUndefined();
  });

  it('refuses plain HTTP and lets only the distribution read, through CloudFront', () => {
    const [bucketId] = one(both, 'AWS::S3::Bucket');
    const [, policy] = one(both, 'AWS::S3::BucketPolicy');
    const statements = policy.Properties.PolicyDocument.Statement as Record<string, any>[];
    expect(statements).toContainEqual(
      expect.objectContaining({
        Effect: 'Deny',
        Principal: { AWS: '*' },
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 's3:GetObject',
        Principal: { Service: 'cloudfront.amazonaws.com' },
        Resource: { 'Fn::Join': ['', [{ 'Fn::GetAtt': [bucketId, 'Arn'] }, '/*']] },
      }),
    ]);
    expect(flat(allows[0].Condition.StringEquals['AWS:SourceArn'])).toMatch(
      new RegExp(`:distribution/\\$\\{${one(both, 'AWS::CloudFront::Distribution')[0]}\\}$`),
    );
  });
});

describe('the distribution', () => {
  it('reads the bucket through an origin access control that signs every request', () => {
    const [oacId, oac] = one(both, 'AWS::CloudFront::OriginAccessControl');
    expect(oac.Properties.OriginAccessControlConfig).toEqual(
      expect.objectContaining({
        OriginAccessControlOriginType: 's3',
        SigningBehavior: 'always',
        SigningProtocol: 'sigv4',
      }),
    );
    const [, distribution] = one(both, 'AWS::CloudFront::Distribution');
    const [origin] = distribution.Properties.DistributionConfig.Origins;
    expect(origin.OriginAccessControlId).toEqual({ 'Fn::GetAtt': [oacId, 'Id'] });
    expect(origin.DomainName).toEqual({
      'Fn::GetAtt': [one(both, 'AWS::S3::Bucket')[0], 'RegionalDomainName'],
    });
    expect(origin.S3OriginConfig).toEqual({ OriginAccessIdentity: '' });
  });

  it('sends HTTP to HTTPS, serves the console at its root, with the headers policy', () => {
    const [policyId] = one(both, 'AWS::CloudFront::ResponseHeadersPolicy');
    const config = one(both, 'AWS::CloudFront::Distribution')[1].Properties.DistributionConfig;
    expect(config.DefaultRootObject).toBe('index.html');
    expect(config.DefaultCacheBehavior).toEqual(
      expect.objectContaining({
        ViewerProtocolPolicy: 'redirect-to-https',
        AllowedMethods: ['GET', 'HEAD'],
        ResponseHeadersPolicyId: { Ref: policyId },
      }),
    );
    expect(config.CacheBehaviors).toBeUndefined();
  });
});

describe('the security headers', () => {
  const headers = () =>
    one(both, 'AWS::CloudFront::ResponseHeadersPolicy')[1].Properties.ResponseHeadersPolicyConfig.SecurityHeadersConfig;

  it("hold a strict CSP: nothing by default, this origin's script and styles, the API for calls", () => {
    const csp = headers().ContentSecurityPolicy;
    expect(csp.Override).toBe(true);
    expect(flat(csp.ContentSecurityPolicy).split('; ')).toEqual([
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self'",
      `connect-src ${apiOrigin(both)}`,
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ]);
  });

  it('hold HSTS for two years, nosniff, DENY framing and no referrer, over what the origin says', () => {
    expect(headers()).toEqual(
      expect.objectContaining({
        StrictTransportSecurity: { AccessControlMaxAgeSec: 63_072_000, IncludeSubdomains: true, Override: true },
        ContentTypeOptions: { Override: true },
        FrameOptions: { FrameOption: 'DENY', Override: true },
        ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      }),
    );
  });
});

describe('CORS', () => {
  it("adds the distribution's origin to the team's: every route function answers both", () => {
    const functions = Object.values(
      both.findResources('AWS::Lambda::Function', {
        Properties: { Environment: { Variables: Match.objectLike({ CORS_ORIGINS: Match.anyValue() }) } },
      }),
    ) as Resource[];
    expect(functions).toHaveLength(5);
    for (const fn of functions) {
      expect(JSON.parse(flat(fn.Properties.Environment.Variables.CORS_ORIGINS))).toEqual([
        APP,
        distributionOrigin(both),
      ]);
    }
  });

  it('answers preflights from the console, and gateway errors carry its origin', () => {
    const preflights = Object.values(
      only.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } }),
    ) as Resource[];
    expect(preflights.length).toBeGreaterThan(0);
    for (const method of preflights) {
      const [response] = method.Properties.Integration.IntegrationResponses;
      expect(flat(response.ResponseParameters['method.response.header.Access-Control-Allow-Origin'])).toBe(
        `'${distributionOrigin(only)}'`,
      );
    }
    const unauthorized = Object.values(
      only.findResources('AWS::ApiGateway::GatewayResponse', { Properties: { ResponseType: 'UNAUTHORIZED' } }),
    ) as Resource[];
    expect(unauthorized).toHaveLength(1);
    expect(flat(unauthorized[0].Properties.ResponseParameters[ACAO])).toBe(`'${distributionOrigin(only)}'`);
  });
});

describe('the deployment', () => {
  it('puts the built console in the bucket, the page told where the API is', () => {
    const [bucketId] = one(both, 'AWS::S3::Bucket');
    const [, deployment] = one(both, 'Custom::CDKBucketDeployment');
    expect(deployment.Properties.DestinationBucketName).toEqual({ Ref: bucketId });
    expect(deployment.Properties.Prune).toBe(true);
    expect(deployment.Properties.RetainOnDelete).toBe(false);
    // the page is data with a deploy-time marker for the API's URL, the other files plain assets.
    const markers = (deployment.Properties.SourceMarkers as Record<string, unknown>[]).flatMap((m) =>
      Object.values(m).map(flat),
    );
    expect(markers).toEqual(
      expect.arrayContaining([
        `\${${one(both, 'AWS::ApiGateway::RestApi')[0]}}`,
        `\${${one(both, 'AWS::ApiGateway::Stage')[0]}}`,
      ]),
    );
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(1 + Object.keys(files.assets).length);
  });

  it('deploys the console as `npm start` serves it: its page and its one script', () => {
    expect(files.page).toContain('<script type="module" src="/console/app.js"></script>');
    expect(files.assets['console/app.js']).toContain('keygate-console');
  });

  it('answers every file with no-cache: a deploy shows at once, without an invalidation', () => {
    const [, deployment] = one(both, 'Custom::CDKBucketDeployment');
    expect(deployment.Properties.SystemMetadata).toEqual({ 'cache-control': 'no-cache' });
  });

  it('prints the console URL', () => {
    expect(flat(both.toJSON().Outputs.ConsoleUrl.Value)).toBe(`${distributionOrigin(both)}/`);
  });
});

describe('the page', () => {
  it('names the API in a meta element, before the script that reads it', () => {
    const page = consolePage(files.page, 'https://api.example.com/prod/');
    expect(page).toContain('<meta name="keygate-api" content="https://api.example.com/prod/" />');
    expect(page.indexOf('name="keygate-api"')).toBeLessThan(page.indexOf('<script'));
    expect(page).not.toMatch(/<script>|<script [^>]*>[^<]/);
  });

  it('escapes what would end the attribute', () => {
    expect(consolePage(files.page, 'https://x/"><script>')).toContain('content="https://x/&quot;&gt;&lt;script&gt;"');
  });

  it('refuses a page it cannot place the element in', () => {
    expect(() => consolePage('<html></html>', 'https://x/')).toThrow(/<\/head>/);
  });
});

describe('without keygate:console (the default)', () => {
  it('has no bucket, distribution, origin access control, headers policy, deployment or output', () => {
    for (const type of [
      'AWS::S3::Bucket',
      'AWS::CloudFront::Distribution',
      'AWS::CloudFront::OriginAccessControl',
      'AWS::CloudFront::ResponseHeadersPolicy',
      'Custom::CDKBucketDeployment',
    ]) {
      off.resourceCountIs(type, 0);
    }
    expect(off.toJSON().Outputs.ConsoleUrl).toBeUndefined();
  });

  it('adds no CORS: the console brings its origin only when it is deployed', () => {
    expect(off.findResources('AWS::ApiGateway::Method', { Properties: { HttpMethod: 'OPTIONS' } })).toEqual({});
  });
});

describe('the setting', () => {
  it('is off by default and reads true or false', () => {
    expect(resolveSettings({}).console).toBe(false);
    expect(resolveSettings({ console: 'true' }).console).toBe(true);
    expect(resolveSettings({ console: false }).console).toBe(false);
    expect(() => resolveSettings({ console: 'yes' })).toThrow(/console/);
  });

  it("leaves room for the console's origin among the CORS origins", () => {
    const origins = Array.from({ length: 20 }, (_, i) => `https://app${i}.example.com`);
    expect(resolveSettings({ corsOrigins: origins }).corsOrigins).toHaveLength(20);
    expect(() => resolveSettings({ corsOrigins: origins, console: true })).toThrow(
      /corsOrigins takes at most 19 origins with console/,
    );
  });

  it('needs the built console: a Keygate without it says how to get it', () => {
    const stack = new Stack(testApp(), 'NoFiles');
    expect(() => new Keygate(stack, 'Keygate', { settings: { ...DEFAULT_SETTINGS, console: true } })).toThrow(
      /keygate:console needs the built console: pass consoleFiles \(see bin\/console-files\.ts\)/,
    );
  });
});

describe('cdk-nag', () => {
  it('finds nothing that is not acknowledged', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.locations ?? r.resourceLogicalId).join(',')}`,
      ),
    ).toEqual([]);
  });
});
