import { type App } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { KeygateStack } from '../lib/keygate-stack';
import { DEFAULT_SETTINGS, resolveSettings } from '../lib/settings';
import { testApp } from './support/cdk';

type Resource = { Type: string; Properties: Record<string, any> };

let app: App;
let template: Template;
let custom: Template;
let firstUpgradeDeploy: Template;

beforeAll(() => {
  app = testApp();
  const stack = new KeygateStack(app, 'Keygate', { settings: DEFAULT_SETTINGS });
  const customStack = new KeygateStack(app, 'Custom', {
    settings: resolveSettings({
      staleAfterDays: '30',
      revokeStaleKeys: 'true',
      eventRetentionDays: '90',
      eventBusName: 'keygate-events',
    }),
  });
  const upgrading = new KeygateStack(app, 'Upgrading', { settings: resolveSettings({ noticeIndexes: 'expiryOnly' }) });
  template = Template.fromStack(stack);
  custom = Template.fromStack(customStack);
  firstUpgradeDeploy = Template.fromStack(upgrading);
});

function noticesFunction(t: Template): [string, Resource] {
  const found = Object.entries(
    t.findResources('AWS::Lambda::Function', {
      Properties: { Description: Match.stringLikeRegexp('expiry and staleness notices') },
    }),
  );
  expect(found).toHaveLength(1);
  return found[0] as [string, Resource];
}

describe('the daily notices', () => {
  it('run at 00:05 UTC every day, invoking the notice Lambda, with a dead-letter queue', () => {
    const [fnId] = noticesFunction(template);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(5 0 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      State: 'ENABLED',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [fnId, 'Arn'] },
        DeadLetterConfig: { Arn: Match.anyValue() },
        RetryPolicy: { MaximumEventAgeInSeconds: 21600, MaximumRetryAttempts: 10 },
      }),
    });
  });

  it('take their settings from context: 90 days and report only by default', () => {
    expect(noticesFunction(template)[1].Properties.Environment.Variables).toMatchObject({
      STALE_AFTER_DAYS: '90',
      REVOKE_STALE_KEYS: 'false',
      EVENT_RETENTION_DAYS: '400',
    });
    expect(noticesFunction(custom)[1].Properties.Environment.Variables).toMatchObject({
      STALE_AFTER_DAYS: '30',
      REVOKE_STALE_KEYS: 'true',
      EVENT_RETENTION_DAYS: '90',
    });
  });

  it('may query the two day indexes, and never scan', () => {
    const [, fn] = noticesFunction(template);
    const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
    });
    const statements = Object.values(policies).flatMap(
      (policy) =>
        (policy as Resource).Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[],
    );
    const text = JSON.stringify(statements);
    expect(text).toContain('/index/byExpiryDay');
    expect(text).toContain('/index/byActivityDay');
    expect(text).not.toContain('dynamodb:Scan');
  });
});

describe('upgrading a table from before the notice indexes', () => {
  const indexNames = (t: Template) =>
    Object.values(t.findResources('AWS::DynamoDB::Table')).flatMap((table) =>
      ((table as Resource).Properties.GlobalSecondaryIndexes as { IndexName: string }[]).map(
        (index) => index.IndexName,
      ),
    );

  it('adds one index per deploy: byExpiryDay alone with noticeIndexes=expiryOnly, both by default', () => {
    expect(indexNames(firstUpgradeDeploy)).toEqual(['byTenant', 'byTenantEnvironment', 'byExpiryDay']);
    expect(indexNames(template)).toEqual(['byTenant', 'byTenantEnvironment', 'byExpiryDay', 'byActivityDay']);
    expect(() => resolveSettings({ noticeIndexes: 'activityOnly' })).toThrow(
      /noticeIndexes must be both or expiryOnly/,
    );
  });
});

describe('event retention and the event bus', () => {
  it('gives every management function (those that write events) the retention setting', () => {
    const fns = Object.values(
      custom.findResources('AWS::Lambda::Function', {
        Properties: {
          Environment: { Variables: Match.objectLike({ TABLE_NAME: Match.anyValue(), NAME_PREFIX: Match.anyValue() }) },
        },
      }),
    );
    expect(fns.length).toBeGreaterThan(3);
    for (const fn of fns) expect((fn as Resource).Properties.Environment.Variables.EVENT_RETENTION_DAYS).toBe('90');
  });

  it('publishes to the default bus and creates none when eventBusName is unset', () => {
    template.resourceCountIs('AWS::Events::EventBus', 0);
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).toContain(':event-bus/default');
  });

  it('creates the named bus and publishes there when eventBusName is set', () => {
    const [busId] = Object.keys(
      custom.findResources('AWS::Events::EventBus', { Properties: { Name: 'keygate-events' } }),
    );
    expect(busId).toBeDefined();
    const publisher = Object.values(
      custom.findResources('AWS::Lambda::Function', {
        Properties: { Description: Match.stringLikeRegexp('publishes committed outbox events') },
      }),
    )[0] as Resource;
    expect(JSON.stringify(publisher.Properties.Environment.Variables.EVENT_BUS_NAME)).toContain(busId);
    const policies = JSON.stringify(custom.findResources('AWS::IAM::Policy'));
    expect(policies).not.toContain(':event-bus/default');
  });

  it('refuses a bus named "default" and a retention out of range, naming the setting', () => {
    expect(() => resolveSettings({ eventBusName: 'default' })).toThrow(/eventBusName/);
    expect(() => resolveSettings({ eventRetentionDays: 0 })).toThrow(
      /eventRetentionDays must be a whole number from 1 to 3650/,
    );
    expect(() => resolveSettings({ staleAfterDays: 'soon' })).toThrow(/staleAfterDays/);
  });

  it('passes the cdk-nag AwsSolutions checks', () => {
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(
      report.violations.map(
        (v) => `${v.ruleName} ${v.violatingResources.map((r) => r.locations ?? r.resourceLogicalId).join(',')}`,
      ),
    ).toEqual([]);
    expect(report.success).toBe(true);
  });
});
