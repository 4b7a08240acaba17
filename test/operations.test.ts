import { type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateStack } from '../lib/keygate-stack';
import { DEFAULT_SETTINGS, resolveSettings } from '../lib/settings';
import { MANAGED_RULE_GROUPS } from '../lib/waf';
import { testApp } from './support/cdk';

let app: App;
let plain: Template;
let guarded: Template;

beforeAll(() => {
  app = testApp();
  // both stacks first, then synthesis: the tree must not change after the first synth.
  const plainStack = new KeygateStack(app, 'Keygate', { settings: DEFAULT_SETTINGS });
  const guardedStack = new KeygateStack(app, 'Guarded', {
    settings: resolveSettings({
      alarmEmail: 'oncall@example.com',
      waf: 'true',
      wafIpRateLimit: '500',
      stageRateLimit: '3000',
      stageBurstLimit: '5000',
    }),
  });
  plain = Template.fromStack(plainStack);
  guarded = Template.fromStack(guardedStack);
});

type Resource = { Type: string; Properties: Record<string, any> };
const resources = (t: Template, type: string, props: Record<string, unknown> = {}): [string, Resource][] =>
  Object.entries(t.findResources(type, { Properties: Match.objectLike(props) })) as [string, Resource][];
const alarm = (t: Template, description: RegExp): Resource => {
  const found = resources(t, 'AWS::CloudWatch::Alarm').filter(([, r]) =>
    description.test(r.Properties.AlarmDescription),
  );
  expect(found).toHaveLength(1);
  return found[0][1];
};

describe('alarms', () => {
  it('fires on any authorizer error or throttle', () => {
    const authorizer = resources(plain, 'AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ACCEPT_SESSIONS: 'true' }) },
    })[0][0];
    for (const [metric, description] of [
      ['Errors', /authorizer Lambda failed/],
      ['Throttles', /authorizer Lambda was throttled/],
    ] as const) {
      expect(alarm(plain, description).Properties).toMatchObject({
        MetricName: metric,
        Namespace: 'AWS/Lambda',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: authorizer } }],
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      });
    }
  });

  it("fires when over 5% of the API's requests answer 5XX for three periods in a row", () => {
    const props = alarm(plain, /5XX/).Properties;
    expect(props).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 3 });
    const expression = props.Metrics.find((m: { Expression?: string }) => m.Expression !== undefined);
    expect(expression.Expression).toBe('IF(requests > 0, 100 * errors / requests, 0)');
    const names = props.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat !== undefined).map(
      (m: any) => m.MetricStat.Metric.MetricName,
    );
    expect(names.sort()).toEqual(['5XXError', 'Count']);
  });

  it("counts 'authorizer cache flush failed' in every function that flushes, and alarms on one", () => {
    const filters = resources(plain, 'AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "authorizer cache flush failed" }',
    });
    // keys, panel, reconciler, the queued-flush consumer, leaks (a revoked leaked key) and notices (a revoked stale key).
    expect(filters).toHaveLength(6);
    for (const [, filter] of filters) {
      expect(filter.Properties.MetricTransformations).toEqual([
        { MetricNamespace: 'keygate', MetricName: 'AuthorizerCacheFlushFailures', MetricValue: '1' },
      ]);
    }
    const logGroups = filters
      .map(([, f]) => (f.Properties.LogGroupName.Ref as string).replace(/[0-9A-F]{8}$/, ''))
      .sort();
    expect(logGroups).toEqual([
      'AuthorizerCacheFlushFunctionLogs',
      'KeysFunctionLogs',
      'LeaksFunctionLogs',
      'NoticesFunctionLogs',
      'PanelFunctionLogs',
      'ReconcilerFunctionLogs',
    ]);
    expect(alarm(plain, /cache flush failed/).Properties).toMatchObject({
      Namespace: 'keygate',
      MetricName: 'AuthorizerCacheFlushFailures',
      Threshold: 1,
    });
  });

  it('alarms when a queued flush or a midnight schedule lands in the flush dead-letter queue', () => {
    const [dlqId] = resources(plain, 'AWS::SQS::Queue').find(
      ([id, r]) => !r.Properties.FifoQueue && /DeadLetters/.test(id),
    )!;
    expect(alarm(plain, /queued cache flush/).Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
    });
    plain.hasResourceProperties('AWS::Scheduler::Schedule', {
      Target: Match.objectLike({ DeadLetterConfig: { Arn: { 'Fn::GetAtt': [dlqId, 'Arn'] } } }),
    });
  });

  it('keeps a daily notice run that failed every retry in the notices dead-letter queue, and alarms on it', () => {
    const [[fnId]] = resources(plain, 'AWS::Lambda::Function', {
      Description: 'keygate: daily expiry and staleness notices',
    });
    const [dlqId] = resources(plain, 'AWS::SQS::Queue').find(([id]) => /^NoticesDeadLetters/.test(id))!;
    plain.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId },
      DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [dlqId, 'Arn'] } } },
    });
    expect(alarm(plain, /daily notice run/).Properties).toMatchObject({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlqId, 'QueueName'] } }],
      Threshold: 1,
    });
  });

  it("alarms on 10 'lastUsedAt not recorded' lines in five minutes, from the authorizers' and the usage aggregator's logs", () => {
    const filters = resources(plain, 'AWS::Logs::MetricFilter', {
      FilterPattern: '{ $.message = "lastUsedAt not recorded" }',
    });
    expect(filters.map(([, filter]) => filter.Properties.LogGroupName.Ref).sort()).toEqual([
      expect.stringMatching(/^KeyAuthorizerFunction/),
      expect.stringMatching(/^KeyAuthorizerKeysOnly/),
      expect.stringMatching(/^Usage/),
    ]);
    for (const [, filter] of filters)
      expect(filter.Properties.MetricTransformations[0].MetricName).toBe('LastUsedAtWriteFailures');
    expect(alarm(plain, /lastUsedAt writes failed/).Properties).toMatchObject({
      MetricName: 'LastUsedAtWriteFailures',
      Threshold: 10,
      Period: 300,
    });
  });

  it('has no topic and no alarm actions without an email', () => {
    plain.resourceCountIs('AWS::SNS::Topic', 0);
    for (const [, a] of resources(plain, 'AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toBeUndefined();
  });

  it("sends every alarm, the plan reconciler's two and the usage pipeline's included, to one topic with the email subscribed", () => {
    const [[topicId]] = resources(guarded, 'AWS::SNS::Topic');
    guarded.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
      TopicArn: { Ref: topicId },
    });
    const alarms = resources(guarded, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(12);
    for (const [, a] of alarms) expect(a.Properties.AlarmActions).toEqual([{ Ref: topicId }]);
    expect(alarms.filter(([id]) => /^PlanReconcile/.test(id))).toHaveLength(2);
    expect(alarms.filter(([id]) => /^UsageFailedAlarm/.test(id))).toHaveLength(1);
  });

  it('lets CloudWatch publish to the topic, for this account and these alarms only, over TLS only', () => {
    const [[topicId]] = resources(guarded, 'AWS::SNS::Topic');
    const [[, policy]] = resources(guarded, 'AWS::SNS::TopicPolicy');
    expect(policy.Properties.Topics).toEqual([{ Ref: topicId }]);
    const statements = policy.Properties.PolicyDocument.Statement as {
      Effect: string;
      Principal: unknown;
      Action: string | string[];
      Condition?: Record<string, Record<string, unknown>>;
    }[];
    const publish = statements.filter((s) => s.Effect === 'Allow');
    expect(publish).toHaveLength(1);
    expect(publish[0]).toMatchObject({
      Principal: { Service: 'cloudwatch.amazonaws.com' },
      Action: 'sns:Publish',
      Resource: { Ref: topicId },
    });
    expect(publish[0].Condition?.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    const alarmArns = resources(guarded, 'AWS::CloudWatch::Alarm').map(([id]) => ({ 'Fn::GetAtt': [id, 'Arn'] }));
    expect(alarmArns).toHaveLength(12);
    expect(publish[0].Condition?.ArnLike?.['aws:SourceArn']).toEqual(expect.arrayContaining(alarmArns));
    expect(publish[0].Condition?.ArnLike?.['aws:SourceArn']).toHaveLength(12);
    // the TLS-only Deny stays.
    expect(statements.find((s) => s.Effect === 'Deny')?.Condition).toEqual({
      Bool: { 'aws:SecureTransport': 'false' },
    });
  });
});

describe('abuse protection', () => {
  it('throttles the stage by default, above the largest plan', () => {
    plain.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([
        Match.objectLike({
          HttpMethod: '*',
          ResourcePath: '/*',
          ThrottlingRateLimit: 2000,
          ThrottlingBurstLimit: 4000,
        }),
      ]),
    });
    guarded.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: Match.arrayWith([Match.objectLike({ ThrottlingRateLimit: 3000, ThrottlingBurstLimit: 5000 })]),
    });
  });

  it('refuses a stage throttle below a plan, naming both', () => {
    expect(() => resolveSettings({ stageRateLimit: 500 })).toThrow(
      /stageRateLimit\/stageBurstLimit \(500\/4000\) must be at least the scale plan's 1000\/2000/,
    );
  });

  it('has no web ACL unless asked', () => {
    plain.resourceCountIs('AWS::WAFv2::WebACL', 0);
  });

  it('puts a web ACL on the stage with a per-IP rate rule answering 429 and the managed rule groups', () => {
    const [[aclId, acl]] = resources(guarded, 'AWS::WAFv2::WebACL');
    expect(acl.Properties).toMatchObject({ Scope: 'REGIONAL', DefaultAction: { Allow: {} } });
    const [rate, ...managed] = acl.Properties.Rules;
    expect(rate).toMatchObject({
      Name: 'PerIpRate',
      Statement: { RateBasedStatement: { Limit: 500, AggregateKeyType: 'IP', EvaluationWindowSec: 300 } },
      Action: { Block: { CustomResponse: { ResponseCode: 429, CustomResponseBodyKey: 'rateLimited' } } },
    });
    expect(JSON.parse(acl.Properties.CustomResponseBodies.rateLimited.Content).error.code).toBe('rate_limited');
    expect(managed.map((r: any) => r.Statement.ManagedRuleGroupStatement.Name)).toEqual([...MANAGED_RULE_GROUPS]);
    const [[stageId]] = resources(guarded, 'AWS::ApiGateway::Stage');
    guarded.hasResourceProperties('AWS::WAFv2::WebACLAssociation', {
      WebACLArn: { 'Fn::GetAtt': [aclId, 'Arn'] },
      ResourceArn: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ Ref: stageId }])]) }),
    });
  });
});

describe('cdk-nag', () => {
  it('finds nothing unacknowledged with or without the topic and the web ACL', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.locations ?? r.resourceLogicalId).join(',')}`,
      ),
    ).toEqual([]);
  });
});

describe('teardown', () => {
  it('is a custom resource given the API, the name prefix and the shared plans, deleted before the stage', () => {
    const [[, resource]] = resources(plain, 'Custom::KeygateTeardown');
    const [[apiId]] = resources(plain, 'AWS::ApiGateway::RestApi');
    const plans = resources(plain, 'AWS::ApiGateway::UsagePlan').map(([id]) => ({ Ref: id }));
    expect(plans).toHaveLength(3);
    expect(resource.Properties).toMatchObject({
      RestApiId: { Ref: apiId },
      NamePrefix: 'Keygate',
      SharedPlanIds: plans,
    });
    const [[stageId]] = resources(plain, 'AWS::ApiGateway::Stage');
    const withDeps = plain.findResources('Custom::KeygateTeardown') as Record<string, { DependsOn?: string[] }>;
    expect(Object.values(withDeps)[0].DependsOn).toEqual(expect.arrayContaining([stageId]));
  });

  it('may list, delete API keys and unbind and delete usage plans, never the shared plans nor the table', () => {
    const [[, sweep]] = resources(plain, 'AWS::Lambda::Function', { Handler: 'index.isComplete' });
    const roleId = sweep.Properties.Role['Fn::GetAtt'][0];
    const policies = plain.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    }) as Record<string, Resource>;
    const statements = Object.values(policies).flatMap(
      (p) =>
        p.Properties.PolicyDocument.Statement as {
          Action: string | string[];
          Effect: string;
          Resource: unknown;
          Condition?: Record<string, unknown>;
        }[],
    );
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
    const deny = statements.find((s) => s.Effect === 'Deny' && s.Condition === undefined)!;
    expect([deny.Action].flat().sort()).toEqual(['apigateway:DELETE', 'apigateway:PATCH']);
    for (const [planId] of resources(plain, 'AWS::ApiGateway::UsagePlan'))
      expect(JSON.stringify(deny.Resource)).toContain(`{"Ref":"${planId}"}`);
    // and nothing that lacks this stack's tag.
    expect(
      statements.find(
        (s) =>
          s.Effect === 'Deny' &&
          JSON.stringify(s.Condition) === '{"StringNotEquals":{"aws:ResourceTag/keygate:stack":"Keygate"}}',
      ),
    ).toBeDefined();
    const tables = Object.values(plain.findResources('AWS::DynamoDB::Table')) as { DeletionPolicy?: string }[];
    expect(tables.map((t) => t.DeletionPolicy)).toEqual(['Retain']);
  });
});

describe('what cdk destroy leaves', () => {
  const retained = (t: Template): string[] =>
    Object.entries(t.toJSON().Resources as Record<string, { Type: string; DeletionPolicy?: string }>)
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([, r]) => r.Type)
      .sort();

  it("keeps only the key table and the region's API Gateway CloudWatch role with its account setting", () => {
    expect(retained(plain)).toEqual(['AWS::ApiGateway::Account', 'AWS::DynamoDB::Table', 'AWS::IAM::Role']);
    expect(retained(guarded)).toEqual(['AWS::ApiGateway::Account', 'AWS::DynamoDB::Table', 'AWS::IAM::Role']);
  });

  it('deletes every log group with the stack, each kept a month meanwhile', () => {
    const groups = resources(plain, 'AWS::Logs::LogGroup');
    expect(groups.map(([id]) => id).some((id) => /^TeardownProviderLogs/.test(id))).toBe(true);
    for (const [, group] of Object.values(plain.findResources('AWS::Logs::LogGroup')).entries()) {
      expect(group).toMatchObject({ DeletionPolicy: 'Delete', Properties: { RetentionInDays: 30 } });
    }
  });
});

describe('least privilege with tags', () => {
  type Statement = {
    Action: string | string[];
    Effect: string;
    Resource: unknown;
    Condition?: Record<string, Record<string, unknown>>;
  };
  const statementsOf = (t: Template, description: string): Statement[] => {
    const [[, fn]] = resources(t, 'AWS::Lambda::Function', { Description: description });
    const roleId = fn.Properties.Role['Fn::GetAtt'][0];
    const policies = t.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    }) as Record<string, Resource>;
    return Object.values(policies).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  };

  const creatingTagged = {
    StringEquals: { 'aws:RequestTag/keygate:stack': 'Keygate' },
    'ForAllValues:StringEquals': { 'aws:TagKeys': ['keygate:stack'] },
  };
  const verbs = (s: Statement): string[] => [s.Action].flat().sort();
  const paths = (s: Statement): string[] =>
    [s.Resource].flat().map((r) => {
      const text = JSON.stringify(r);
      return text.slice(text.indexOf('::/') + 2, text.lastIndexOf('"'));
    });

  it.each([
    ['keygate: the keys routes', ['apikeys']],
    ['keygate: the panel routes', ['apikeys', 'usageplans']],
    ['keygate: makes API Gateway usage plans match tenant plans', ['apikeys', 'usageplans']],
  ])('%s creates API keys and usage plans only with its stack tag, and tags nothing else', (description, made) => {
    const statements = statementsOf(plain, description);
    const creates = statements.filter((s) => s.Effect === 'Allow' && verbs(s).includes('apigateway:POST'));
    // creating is POST on the collection, and only with the stack's tag and no other.
    const onCollections = creates.filter((s) => paths(s).some((p) => p === '/apikeys' || p === '/usageplans'));
    expect(onCollections).toHaveLength(1);
    expect(paths(onCollections[0]).sort()).toEqual(made.map((m) => `/${m}`));
    expect(onCollections[0].Condition).toEqual(creatingTagged);
    // the tags a create carries are authorized as PUT on the new resource's tags, whose id is
    // not known yet: the literal `*` (`${*}`), never a wildcard that reaches an existing key.
    const tagging = statements.filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes('/tags/'));
    expect(tagging).toHaveLength(1);
    expect(verbs(tagging[0])).toEqual(['apigateway:PUT']);
    expect(tagging[0].Condition).toEqual(creatingTagged);
    expect(paths(tagging[0]).map((p) => p.replace(/arn%3A.*%3Aapigateway%3A.*%3A%3A/, ''))).toEqual(
      made.map((m) => `/tags/%2F${m}%2F\${*}`),
    );
  });

  it.each([
    'keygate: the keys routes',
    'keygate: the panel routes',
    'keygate: makes API Gateway usage plans match tenant plans',
  ])('%s may not attach to, change or delete a usage plan or API key lacking its stack tag', (description) => {
    const statements = statementsOf(plain, description);
    const deny = statements.find((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition ?? {}).includes('keygate'))!;
    expect(verbs(deny)).toEqual(['apigateway:DELETE', 'apigateway:PATCH', 'apigateway:POST']);
    expect(paths(deny).sort()).toEqual(['/apikeys/*', '/usageplans/*']);
    // no Null check: an untagged resource lacks the tag too, and is denied.
    expect(deny.Condition).toEqual({ StringNotEquals: { 'aws:ResourceTag/keygate:stack': 'Keygate' } });
  });

  it('gives the account function, which manages nothing, no tagging at all', () => {
    expect(JSON.stringify(statementsOf(plain, 'keygate: the account routes'))).not.toContain('keygate:stack');
  });

  it('tags the shared usage plans with the stack name too', () => {
    const plans = resources(plain, 'AWS::ApiGateway::UsagePlan');
    expect(plans).toHaveLength(3);
    for (const [, plan] of plans) expect(plan.Properties.Tags).toEqual([{ Key: 'keygate:stack', Value: 'Keygate' }]);
  });
});
