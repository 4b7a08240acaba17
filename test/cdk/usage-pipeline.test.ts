import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as logs from 'aws-cdk-lib/aws-logs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeyTable } from '../../lib/key-table';
import { KeygateStack } from '../../lib/keygate-stack';
import { LOG_RETENTION_DAYS } from '../../lib/setting-values';
import { DEFAULT_SETTINGS, resolveSettings, SettingsError, type KeygateSettings } from '../../lib/settings';
import { aggregateAccessRecords } from '../../lambdas/core/usage/aggregate';
import { DynamoUsageStore } from '../../lambdas/core/usage/dynamodb-usage';
import { UsagePipeline, USAGE_PARTITIONS } from '../../lib/usage-pipeline';
import { DailyLastUse } from '../../lambdas/core/auth/last-use';
import { DynamoKeyStore } from '../../lambdas/core/store/dynamodb-store';
import { recordingLogger } from '../support/fixtures';
import { fixedClock, instant } from '../support/time';
import { testApp } from '../support/cdk';

type Resource = { Type: string; Properties: Record<string, any> };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, any> };

const USAGE_DESCRIPTION = 'keygate: counts access log lines into per-key usage';

function synth(settings: Partial<KeygateSettings> = {}) {
  const app = testApp();
  const stack = new KeygateStack(app, 'Keygate', { settings: { ...DEFAULT_SETTINGS, ...settings } });
  return { app, stack, template: Template.fromStack(stack) };
}

function only(template: Template, type: string, props: Record<string, unknown> = {}): [string, Resource] {
  const found = Object.entries(template.findResources(type, { Properties: Match.objectLike(props) }));
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

const usageFunction = (template: Template) =>
  only(template, 'AWS::Lambda::Function', { Description: USAGE_DESCRIPTION });

/** The logical id and resource of the stage's access log group. */
function accessLogGroup(template: Template): [string, Resource] {
  const found = Object.entries(template.findResources('AWS::Logs::LogGroup')).find(([id]) =>
    id.startsWith('ApiAccessLogs'),
  );
  if (found === undefined) throw new Error('no access log group in the template');
  return found as [string, Resource];
}

/** Every statement of the policies attached to a role. */
function statementsOfRole(template: Template, roleId: string): Statement[] {
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  }) as Record<string, Resource>;
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

describe('the usage pipeline in the stack (usageAnalytics on, the default)', () => {
  const { app, template } = synth();
  const [functionId, fn] = usageFunction(template);
  const [logGroupId, logGroup] = accessLogGroup(template);

  it("subscribes the aggregator to the stage's access log, every line", () => {
    const [, filter] = only(template, 'AWS::Logs::SubscriptionFilter');
    expect(filter.Properties).toEqual({
      LogGroupName: { Ref: logGroupId },
      DestinationArn: { 'Fn::GetAtt': [functionId, 'Arn'] },
      FilterPattern: '',
    });
  });

  it('lets CloudWatch Logs invoke the aggregator for that log group only', () => {
    const [, permission] = only(template, 'AWS::Lambda::Permission', { Principal: 'logs.amazonaws.com' });
    expect(permission.Properties).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
      SourceArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] },
    });
  });

  it('logs, per request, who called, the answer, its latency, the source and the time, as the aggregator reads them', () => {
    const [, stage] = only(template, 'AWS::ApiGateway::Stage');
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format as string) as Record<string, string>;
    expect(format).toMatchObject({
      tenantId: '$context.authorizer.tenantId',
      keyId: '$context.authorizer.principalId',
      environment: '$context.authorizer.environment',
      status: '$context.status',
      ip: '$context.identity.sourceIp',
      userAgent: '$context.identity.userAgent',
      latencyMs: '$context.responseLatency',
      requestTimeEpoch: '$context.requestTimeEpoch',
      stage: '$context.stage',
    });
    expect(JSON.stringify(stage.Properties.AccessLogSetting.DestinationArn)).toContain(`{"Ref":"${logGroupId}"}`);
  });

  it('keeps the access log for the default retention and gives the aggregator the counters’ retention', () => {
    expect(logGroup.Properties.RetentionInDays).toBe(30);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: expect.stringMatching(/^KeysTable/) },
      USAGE_HOURLY_RETENTION_DAYS: '35',
      USAGE_DAILY_RETENTION_DAYS: '400',
      NEW_SOURCE_DAYS: '0',
    });
  });

  it('lets the aggregator read and write the usage partitions of the table, and of a key only its last use, nothing else', () => {
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const statements = statementsOfRole(template, roleId);
    const table = statements.filter((s) => [s.Action].flat().some((action) => action.startsWith('dynamodb:')));
    const tableArn = { 'Fn::GetAtt': [expect.stringMatching(/^KeysTable/), 'Arn'] };
    expect(table).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
        Resource: tableArn,
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['USAGE#*', 'USAGE_BATCH#*'] } },
      },
      // the authorizer's own last-use write: lastUsedAt and the activity day, returning nothing.
      {
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: tableArn,
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt', 'gsi4pk'] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      },
    ]);
    // beyond the table: its own log group and the on-failure queue, nothing with a wildcard action.
    const others = statements.filter((s) => !table.includes(s));
    for (const statement of others) {
      for (const action of [statement.Action].flat()) expect(action).not.toContain('*');
      expect(JSON.stringify(statement.Resource)).not.toBe('"*"');
    }
    expect(others.flatMap((s) => [s.Action].flat()).sort()).toEqual(
      [
        'logs:CreateLogStream',
        'logs:PutLogEvents',
        'sqs:GetQueueAttributes',
        'sqs:GetQueueUrl',
        'sqs:SendMessage',
      ].sort(),
    );
  });

  it('retries a failed batch twice, then keeps it on a dead-letter queue that an alarm watches', () => {
    only(template, 'AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
    only(template, 'AWS::CloudWatch::Alarm', {
      AlarmDescription: Match.stringLikeRegexp('could not be counted into usage'),
    });
  });

  it('passes cdk-nag', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.violations.map((v) => v.ruleName)).toEqual([]);
  });
});

describe('usage settings in the stack', () => {
  it('with usageAnalytics off, has no filter, no aggregator and no permission for CloudWatch Logs', () => {
    const { template } = synth({ usageAnalytics: false });
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 0);
    expect(template.findResources('AWS::Lambda::Function', { Properties: { Description: USAGE_DESCRIPTION } })).toEqual(
      {},
    );
    expect(
      template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } }),
    ).toEqual({});
  });

  it("counts the guarded routes' stage too, when they have an API of their own", () => {
    const { template } = synth(
      resolveSettings({
        upstreamUrl: 'https://backend.example.com',
        gatewayAnswers: { unauthorized: { body: { msg: 'Invalid API key' } } },
      }),
    );
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
    template.resourceCountIs(
      'AWS::Lambda::Permission',
      Object.keys(template.findResources('AWS::Lambda::Permission')).length,
    );
    expect(
      Object.keys(
        template.findResources('AWS::Lambda::Permission', { Properties: { Principal: 'logs.amazonaws.com' } }),
      ),
    ).toHaveLength(2);
  });

  it('takes the access log retention and the counters’ retention from the settings', () => {
    const { template } = synth(
      resolveSettings({
        accessLogRetentionDays: '90',
        usageHourlyRetentionDays: 7,
        usageDailyRetentionDays: '60',
        newSourceDays: 30,
      }),
    );
    const [, logGroup] = accessLogGroup(template);
    expect(logGroup.Properties.RetentionInDays).toBe(90);
    expect(usageFunction(template)[1].Properties.Environment.Variables).toMatchObject({
      USAGE_HOURLY_RETENTION_DAYS: '7',
      USAGE_DAILY_RETENTION_DAYS: '60',
      NEW_SOURCE_DAYS: '30',
    });
  });
});

describe('the usage settings', () => {
  it('default to on, a month of access log, 35 days of hours and 400 of days', () => {
    expect(resolveSettings({})).toMatchObject({
      usageAnalytics: true,
      accessLogRetentionDays: 30,
      usageHourlyRetentionDays: 35,
      usageDailyRetentionDays: 400,
      newSourceDays: 0,
    });
    expect(resolveSettings({ usageAnalytics: 'false' }).usageAnalytics).toBe(false);
    expect(() => resolveSettings({ newSourceDays: 401 })).toThrow(/newSourceDays/);
  });

  it('accept only the retention periods CloudWatch Logs offers, which are those CDK lists', () => {
    const cdkPeriods = Object.values(logs.RetentionDays).filter(
      (days): days is number => typeof days === 'number' && days !== logs.RetentionDays.INFINITE,
    );
    expect([...LOG_RETENTION_DAYS].sort((a, b) => a - b)).toEqual(cdkPeriods.sort((a, b) => a - b));
    expect(() => resolveSettings({ accessLogRetentionDays: 31 })).toThrow(SettingsError);
    expect(() => resolveSettings({ accessLogRetentionDays: 31 })).toThrow(
      /accessLogRetentionDays must be one of CloudWatch Logs' periods \(1, 3, 5.*3653 days\), received 31/,
    );
  });

  it('refuse hours kept longer than days', () => {
    expect(() => resolveSettings({ usageHourlyRetentionDays: 60, usageDailyRetentionDays: 30 })).toThrow(
      /usageHourlyRetentionDays \(60\) must be at most usageDailyRetentionDays \(30\)/,
    );
  });
});

describe('UsagePipeline on its own', () => {
  it('counts several access log groups, each with its own filter and its own invoke permission', () => {
    const app = testApp();
    const stack = new Stack(app, 'Pipeline');
    const first = new logs.LogGroup(stack, 'KeygateStageLogs');
    const second = new logs.LogGroup(stack, 'GuardedStageLogs');
    const usage = new UsagePipeline(stack, 'Usage', { table: new KeyTable(stack, 'Keys'), accessLogGroups: [first] });
    usage.addAccessLogGroup(second);
    const template = Template.fromStack(stack);

    expect(usage.subscriptionFilters).toHaveLength(2);
    template.resourceCountIs('AWS::Logs::SubscriptionFilter', 2);
    for (const id of ['KeygateStageLogs', 'GuardedStageLogs']) {
      const logGroupId = Object.keys(template.findResources('AWS::Logs::LogGroup')).find((key) => key.startsWith(id));
      only(template, 'AWS::Logs::SubscriptionFilter', { LogGroupName: { Ref: logGroupId } });
      only(template, 'AWS::Lambda::Permission', { SourceArn: { 'Fn::GetAtt': [logGroupId, 'Arn'] } });
    }
  });

  it('refuses a retention it cannot keep', () => {
    const app = testApp();
    const stack = new Stack(app, 'Pipeline');
    const props = { table: new KeyTable(stack, 'Keys'), accessLogGroups: [] };
    expect(() => new UsagePipeline(stack, 'A', { ...props, hourlyRetentionDays: 0 })).toThrow(
      /hourlyRetentionDays must be a whole number of days from 1 to 3650, received 0/,
    );
    expect(() => new UsagePipeline(stack, 'B', { ...props, hourlyRetentionDays: 50, dailyRetentionDays: 40 })).toThrow(
      /hourlyRetentionDays \(50\) must be at most dailyRetentionDays \(40\)/,
    );
  });

  // the last-use grant names the attributes a request may touch: the write must name no others.
  it('writes of a key only what the last-use grant allows: pk, sk, lastUsedAt and gsi4pk, returning nothing', async () => {
    const commands: { input: Record<string, any> }[] = [];
    const client = {
      send: async (command: { input: Record<string, any> }) => {
        commands.push(command);
        return {};
      },
    };
    const at = Date.parse(instant(0, '10:00'));
    await aggregateAccessRecords(
      [
        {
          requestId: 'a',
          requestTimeEpoch: at,
          stage: 'prod',
          ip: '203.0.113.1',
          method: 'GET',
          resource: '/v1/me',
          latencyMs: 5,
          status: 200,
          keyId: 'key_1',
          tenantId: 'acme',
        },
      ],
      {
        store: new DynamoUsageStore({ client: client as never, tableName: 'keys' }),
        clock: fixedClock(),
        lastUse: new DailyLastUse(
          new DynamoKeyStore({ client: client as never, tableName: 'keys' }),
          recordingLogger(),
        ),
      },
    );
    const touches = commands.filter(({ input }) => String(input.Key?.pk).startsWith('KEY#'));
    expect(touches).toHaveLength(1);
    const [{ input }] = touches as [{ input: Record<string, any> }];
    expect(input.ReturnValues ?? 'NONE').toBe('NONE');
    const named = [
      ...Object.keys(input.Key),
      ...`${input.UpdateExpression} ${input.ConditionExpression}`
        .replace(/:[A-Za-z]+/g, '')
        .split(/[^A-Za-z0-9_]+/)
        .filter((word) => /^(?!SET$|AND$|OR$|attribute_exists$|attribute_not_exists$)[a-z]/.test(word)),
    ];
    expect([...new Set(named)].sort()).toEqual(['gsi4pk', 'lastUsedAt', 'pk', 'sk']);
  });

  // the role's LeadingKeys condition must cover every item the store reads or writes, or a batch
  // would fail with AccessDenied on AWS only: the store's own requests are checked against it.
  it('grants every partition the store touches, and only usage partitions', async () => {
    const commands: { input: Record<string, any> }[] = [];
    const client = {
      send: async (command: { input: Record<string, any> }) => {
        commands.push(command);
        return {};
      },
    };
    const store = new DynamoUsageStore({ client: client as never, tableName: 'keys' });
    const at = Date.parse(instant(0, '10:00'));
    const record = {
      requestId: 'r',
      stage: 'prod',
      ip: '203.0.113.1',
      method: 'GET',
      resource: '/v1/me',
      latencyMs: 5,
    };
    await aggregateAccessRecords(
      [
        { ...record, requestId: 'a', requestTimeEpoch: at, status: 200, keyId: 'key_1', tenantId: 'acme' },
        { ...record, requestId: 'b', requestTimeEpoch: at, status: 401 },
      ],
      { store, clock: fixedClock() },
    );
    const partitions = commands.flatMap(({ input }) => [
      ...(input.Key === undefined ? [] : [input.Key.pk as string]),
      ...((input.TransactItems ?? []) as Record<string, any>[]).map((item) =>
        String((item.Put?.Item ?? item.Update?.Key ?? item.ConditionCheck?.Key ?? item.Delete?.Key ?? {}).pk),
      ),
    ]);
    expect(partitions.length).toBeGreaterThan(5);
    const granted = USAGE_PARTITIONS.map((pattern) => new RegExp(`^${pattern.replace('*', '.*')}$`));
    for (const pk of partitions) expect(granted.some((pattern) => pattern.test(pk))).toBe(true);
  });
});
