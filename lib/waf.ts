import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import { GATEWAY_ERRORS } from '../lambdas/core/http/gateway-responses';

/** Properties of a {@link KeygateWaf}. */
export interface KeygateWafProps {
  /** The API stage the web ACL protects. */
  readonly stage: apigateway.Stage;
  /**
   * Requests one IP address may send in a 5-minute window before WAF blocks it (429) until its
   * rate falls. Counts every request, keyed or not: set it above what one tenant's egress
   * address sends on the largest plan.
   *
   * @default 10000
   */
  readonly ipRateLimit?: number;
}

/** The AWS managed rule groups the web ACL runs, cheapest first, and why. */
export const MANAGED_RULE_GROUPS = [
  // addresses AWS's threat intelligence knows for bots and reconnaissance (25 WCU).
  'AWSManagedRulesAmazonIpReputationList',
  // request patterns of known exploits: Log4j lookups, Java deserialization, ... (200 WCU).
  'AWSManagedRulesKnownBadInputsRuleSet',
  // the OWASP Top 10 baseline: XSS, traversal, oversized parts (700 WCU).
  'AWSManagedRulesCommonRuleSet',
] as const;

/**
 * Rules of the common rule set that only count: bodies up to 16 KiB (256 KiB for a key import)
 * are valid here (the handlers answer 413 above), and server-to-server API clients often send no User-Agent.
 */
const COUNT_ONLY: Readonly<Record<string, readonly string[]>> = {
  AWSManagedRulesCommonRuleSet: ['SizeRestrictions_BODY', 'NoUserAgent_HEADER'],
};

/**
 * An AWS WAF web ACL in front of the API stage: a per-IP rate-based rule (a flood of forged
 * keys costs an authorizer call each, and usage plans apply only after authorization), AWS's IP
 * reputation list, known bad inputs and the common rule set. Blocked by rate: 429 in the
 * contract's error shape.
 */
export class KeygateWaf extends Construct {
  /** The web ACL. */
  public readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: KeygateWafProps) {
    super(scope, id);
    const ipRateLimit = props.ipRateLimit ?? 10_000;
    if (!Number.isInteger(ipRateLimit) || ipRateLimit < 10 || ipRateLimit > 2_000_000_000) {
      throw new Error(`KeygateWaf ipRateLimit must be a whole number from 10 to 2000000000, received ${ipRateLimit}`);
    }
    const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
      cloudWatchMetricsEnabled: true,
      metricName,
      sampledRequestsEnabled: true,
    });
    const rateLimited = GATEWAY_ERRORS.THROTTLED;
    this.webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('keygate-web-acl'),
      customResponseBodies: {
        rateLimited: {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            error: { code: rateLimited.code, message: 'too many requests from this address; slow down' },
          }),
        },
      },
      rules: [
        {
          name: 'PerIpRate',
          priority: 0,
          statement: { rateBasedStatement: { limit: ipRateLimit, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          action: { block: { customResponse: { responseCode: 429, customResponseBodyKey: 'rateLimited' } } },
          visibilityConfig: visibility('keygate-per-ip-rate'),
        },
        ...MANAGED_RULE_GROUPS.map((name, index) => ({
          name,
          priority: index + 1,
          overrideAction: { none: {} },
          statement: {
            managedRuleGroupStatement: {
              vendorName: 'AWS',
              name,
              ...(COUNT_ONLY[name] === undefined
                ? {}
                : {
                    ruleActionOverrides: COUNT_ONLY[name].map((rule) => ({ name: rule, actionToUse: { count: {} } })),
                  }),
            },
          },
          visibilityConfig: visibility(`keygate-${name}`),
        })),
      ],
    });
    new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: this.webAcl.attrArn,
    });
  }
}
