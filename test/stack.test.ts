import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { GATEWAY_ERRORS, type GatewayResponseType } from '../lambdas/core/http/gateway-responses';
import { tokenValidationPattern } from '../lambdas/core/keys/format';
import { ROUTES } from '../lambdas/core/http/routes';
import { KeyAuthorizer } from '../lib/key-authorizer';
import { KeyTable } from '../lib/key-table';
import { KeygateStack } from '../lib/keygate-stack';
import { DEFAULT_SETTINGS, resolveSettings, settingsFromContext } from '../lib/settings';
import { testApp } from './support/cdk';

type Resource = { Type: string; Properties: Record<string, any>; DeletionPolicy?: string };
type Statement = { Action: string | string[]; Resource: unknown; Condition?: Record<string, unknown> };

let app: App;
let template: Template;
let custom: Template;

beforeAll(() => {
  app = testApp();
  const stack = new KeygateStack(app, 'Keygate', { settings: DEFAULT_SETTINGS });
  const customStack = new KeygateStack(app, 'Custom', {
    settings: {
      ...DEFAULT_SETTINGS,
      keyPrefix: 'acme',
      acceptBareKeys: false,
      authorizerCacheTtlSeconds: 0,
      lastUsedIntervalSeconds: 3600,
      stageName: 'v1',
      plans: {
        ...DEFAULT_SETTINGS.plans,
        starter: { rateLimit: 5, burstLimit: 10, quota: { limit: 1000, period: 'DAY' } },
      },
    },
  });
  template = Template.fromStack(stack);
  custom = Template.fromStack(customStack);
});

function onlyResource(t: Template, type: string, props: Record<string, unknown> = {}): [string, Resource] {
  const found = Object.entries(t.findResources(type, { Properties: Match.objectLike(props) })) as [string, Resource][];
  expect(found).toHaveLength(1);
  return found[0];
}

/** The authorizer function of keygate's own routes, or the keys-only one of every other method. */
function authorizerFunction(t: Template, sessions: 'true' | 'false' = 'true'): [string, Resource] {
  return onlyResource(t, 'AWS::Lambda::Function', {
    Environment: { Variables: Match.objectLike({ ACCEPT_SESSIONS: sessions }) },
  });
}

/** Every statement of every policy attached to a role, inline or separate. */
function statementsOfRole(t: Template, roleLogicalId: string): Statement[] {
  const policies = t.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleLogicalId }]) },
  }) as Record<string, Resource>;
  return Object.values(policies).flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[]);
}

const actionsOf = (statements: Statement[]): string[] => statements.flatMap((s) => [s.Action].flat()).sort();

describe('the authorizer', () => {
  it('is a TOKEN authorizer on the Authorization header with the key pattern and a 300 s cache', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      IdentityValidationExpression: tokenValidationPattern('sk', true),
      AuthorizerResultTtlInSeconds: 300,
    });
  });

  it('takes the prefix, bare-key acceptance and cache TTL from the settings', () => {
    custom.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      IdentityValidationExpression: tokenValidationPattern('acme', false),
      AuthorizerResultTtlInSeconds: 0,
    });
    const [, fn] = authorizerFunction(custom);
    expect(fn.Properties.Environment.Variables).toMatchObject({
      KEY_PREFIX: 'acme',
      ACCEPT_BARE_KEYS: 'false',
      LAST_USED_INTERVAL_SECONDS: '3600',
    });
    custom.hasResourceProperties('AWS::ApiGateway::Stage', { StageName: 'v1' });
  });

  it('runs with the table name, prefix and bare-key setting, and 512 MB', () => {
    const [, fn] = authorizerFunction(template);
    expect(fn.Properties.MemorySize).toBe(512);
    const [tableId] = onlyResource(template, 'AWS::DynamoDB::Table');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: { Ref: tableId },
      KEY_PREFIX: 'sk',
      ACCEPT_BARE_KEYS: 'true',
      LAST_USED_INTERVAL_SECONDS: '60',
    });
  });

  it("signs its DynamoDB calls for the partition's DNS suffix, not always amazonaws.com", () => {
    const [, fn] = authorizerFunction(template);
    expect(fn.Properties.Environment.Variables.DNS_SUFFIX).toEqual({ Ref: 'AWS::URLSuffix' });
  });

  it.each(['true', 'false'] as const)(
    'may read keys and write only lastUsedAt and its activity day, and nothing else in DynamoDB (sessions: %s)',
    (sessions) => {
      const [, fn] = authorizerFunction(template, sessions);
      const roleId = fn.Properties.Role['Fn::GetAtt'][0] as string;
      const role = template.findResources('AWS::IAM::Role')[roleId] as Resource;
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      const statements = statementsOfRole(template, roleId);
      expect(actionsOf(statements)).toEqual([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]);
      const [tableId] = onlyResource(template, 'AWS::DynamoDB::Table');
      const update = statements.find((s) => s.Action === 'dynamodb:UpdateItem');
      expect(update).toEqual({
        Action: 'dynamodb:UpdateItem',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [tableId, 'Arn'] },
        Condition: {
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'lastUsedAt', 'gsi4pk'] },
          StringEqualsIfExists: { 'dynamodb:ReturnValues': 'NONE' },
        },
      });
      const get = statements.find((s) => s.Action === 'dynamodb:GetItem');
      expect(get?.Resource).toEqual({ 'Fn::GetAtt': [tableId, 'Arn'] });
    },
  );
});

describe('the key table', () => {
  it('is on-demand with pk/sk, TTL on ttl, point-in-time recovery and KMS encryption', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('has the byTenant index on gsi1pk/gsi1sk and the byTenantEnvironment index on gsi2pk/gsi2sk, projecting everything', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: [
        {
          IndexName: 'byTenant',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        {
          IndexName: 'byTenantEnvironment',
          KeySchema: [
            { AttributeName: 'gsi2pk', KeyType: 'HASH' },
            { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
        Match.anyValue(),
        Match.anyValue(),
      ],
    });
  });

  it('has the sparse notice indexes byExpiryDay (gsi3pk) and byActivityDay (gsi4pk), keys only', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      GlobalSecondaryIndexes: Match.arrayWith([
        {
          IndexName: 'byExpiryDay',
          KeySchema: [{ AttributeName: 'gsi3pk', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
        {
          IndexName: 'byActivityDay',
          KeySchema: [{ AttributeName: 'gsi4pk', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'KEYS_ONLY' },
        },
      ]),
    });
  });

  it('is retained when the stack is deleted', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
  });
});

describe('gateway responses', () => {
  const types = Object.keys(GATEWAY_ERRORS) as GatewayResponseType[];

  it.each(types)('answers %s in the contract error shape, never cached', (type) => {
    const { code, status } = GATEWAY_ERRORS[type];
    const [, response] = onlyResource(template, 'AWS::ApiGateway::GatewayResponse', { ResponseType: type });
    const body = response.Properties.ResponseTemplates['application/json'] as string;
    // api gateway substitutes an already quoted JSON string for the variable.
    const parsed = JSON.parse(body.replace('$context.error.messageString', '"Invalid request body"'));
    expect(parsed).toEqual({ error: { code, message: expect.any(String) } });
    expect(response.Properties.ResponseParameters).toMatchObject({
      'gatewayresponse.header.Cache-Control': "'no-store'",
    });
    if (!type.startsWith('DEFAULT_')) expect(response.Properties.StatusCode).toBe(String(status));
  });

  it('answers an unknown route 404 not_found', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"not_found"') },
    });
  });

  it.each([
    ['THROTTLED', 'rate_limited'],
    ['QUOTA_EXCEEDED', 'quota_exceeded'],
  ])('answers %s with 429 %s and Retry-After', (type, code) => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: type,
      StatusCode: '429',
      ResponseParameters: Match.objectLike({
        'gatewayresponse.header.Retry-After': Match.stringLikeRegexp("^'\\d+'$"),
      }),
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp(`"code":"${code}"`) },
    });
  });

  it('keeps the status api gateway gives for the catch-all types', () => {
    for (const type of ['DEFAULT_4XX', 'DEFAULT_5XX']) {
      const [, response] = onlyResource(template, 'AWS::ApiGateway::GatewayResponse', { ResponseType: type });
      expect(response.Properties.StatusCode).toBeUndefined();
    }
  });
});

describe('routes', () => {
  it('puts GET /v1/me behind the key authorizer', () => {
    const [authorizerId] = onlyResource(template, 'AWS::ApiGateway::Authorizer');
    const [meId] = onlyResource(template, 'AWS::ApiGateway::Resource', { PathPart: 'me' });
    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'GET',
      ResourceId: { Ref: meId },
      AuthorizationType: 'CUSTOM',
      AuthorizerId: { Ref: authorizerId },
      Integration: Match.objectLike({ Type: 'AWS_PROXY' }),
    });
  });

  it('builds one method per route, each with the authorizer and the usage identifier required, but the routes marked auth none', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method')) as Resource[];
    expect(methods).toHaveLength(ROUTES.length);
    const open = ROUTES.filter((route) => route.auth === 'none');
    // only GitHub's signed leak alerts come without a key.
    expect(open.map((route) => `${route.method} ${route.path}`)).toEqual(['POST /v1/leaks/github']);
    const keyed = methods.filter((method) => method.Properties.AuthorizationType === 'CUSTOM');
    expect(keyed).toHaveLength(ROUTES.length - open.length);
    for (const method of keyed) expect(method.Properties.ApiKeyRequired).toBe(true);
    const [githubId] = onlyResource(template, 'AWS::ApiGateway::Resource', { PathPart: 'github' });
    const [, github] = onlyResource(template, 'AWS::ApiGateway::Method', { ResourceId: { Ref: githubId } });
    expect(github.Properties).toMatchObject({ HttpMethod: 'POST', AuthorizationType: 'NONE', ApiKeyRequired: false });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'AUTHORIZER' });
  });

  it('gives the leaks function the leak policy from keygate:onLeak, revoke by default', () => {
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the leaks routes' });
    expect(fn.Properties.Environment.Variables.ON_LEAK).toBe('revoke');
  });

  it('integrates each method with its function, which only this API may invoke', () => {
    const [fnId, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the account routes' });
    expect(fn.Properties.FunctionName).toBeUndefined();
    const [meId] = onlyResource(template, 'AWS::ApiGateway::Resource', { PathPart: 'me' });
    const [, me] = onlyResource(template, 'AWS::ApiGateway::Method', { ResourceId: { Ref: meId } });
    expect(JSON.stringify(me.Properties.Integration.Uri)).toContain(`"${fnId}","Arn"`);
    expect(me.Properties.Integration.Type).toBe('AWS_PROXY');
    const permissions = Object.values(
      template.findResources('AWS::Lambda::Permission', {
        Properties: { FunctionName: { 'Fn::GetAtt': [fnId, 'Arn'] } },
      }),
    ) as Resource[];
    expect(permissions).toHaveLength(1);
    const [apiId] = onlyResource(template, 'AWS::ApiGateway::RestApi');
    expect(JSON.stringify(permissions[0].Properties.SourceArn)).toContain(`{"Ref":"${apiId}"},"/*/*/*"`);
  });

  it('outputs what the admin command needs to mint the first operator key', () => {
    for (const name of [
      'ApiUrl',
      'TableName',
      'RestApiId',
      'StageName',
      'KeyPrefix',
      'NamePrefix',
      'OperatorPlan',
      'Plans',
      'EventBusName',
    ])
      template.hasOutput(name, {});
    const outputs = template.findOutputs('FirstOperatorKey');
    expect(JSON.stringify(outputs.FirstOperatorKey.Value)).toContain(
      'npm run admin -- create-operator-key --stack Keygate --region ',
    );
  });

  it('logs access as JSON without request data', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      AccessLogSetting: Match.objectLike({
        Format: Match.stringLikeRegexp('"keyId":"\\$context.authorizer.principalId"'),
      }),
      MethodSettings: [Match.objectLike({ DataTraceEnabled: false, LoggingLevel: 'ERROR', MetricsEnabled: true })],
    });
  });
});

describe('usage plans', () => {
  it('has one per configured plan, bound to the stage, with the limits from the settings', () => {
    template.resourceCountIs('AWS::ApiGateway::UsagePlan', 3);
    const [stageId] = onlyResource(template, 'AWS::ApiGateway::Stage');
    for (const [name, limits] of Object.entries(DEFAULT_SETTINGS.plans)) {
      template.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
        UsagePlanName: `Keygate-${name}`,
        Throttle: { RateLimit: limits.rateLimit, BurstLimit: limits.burstLimit },
        ApiStages: [Match.objectLike({ Stage: { Ref: stageId } })],
      });
    }
  });

  it('takes custom limits and quotas from the settings', () => {
    custom.hasResourceProperties('AWS::ApiGateway::UsagePlan', {
      UsagePlanName: 'Custom-starter',
      Throttle: { RateLimit: 5, BurstLimit: 10 },
      Quota: { Limit: 1000, Period: 'DAY' },
    });
  });
});

describe('the authorizer cache flushes', () => {
  it('flush at 00:00 UTC through the flush queue, with a second flush to follow', () => {
    const [queueId] = onlyResource(template, 'AWS::SQS::Queue', { VisibilityTimeout: 60 });
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 0 * * ? *)',
      ScheduleExpressionTimezone: 'Etc/UTC',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [queueId, 'Arn'] },
        Input: '{"at":"<aws.scheduler.scheduled-time>","followUp":true}',
      }),
    });
  });

  it('leave midnight out when the cache is off', () => {
    // the daily notices keep their own schedule.
    expect(
      custom.findResources('AWS::Scheduler::Schedule', { Properties: { ScheduleExpression: 'cron(0 0 * * ? *)' } }),
    ).toEqual({});
  });

  it('keep the authorizer short (3 s) and settle the second flush after it (10 s)', () => {
    const [, authorizer] = authorizerFunction(template);
    expect(authorizer.Properties.Timeout).toBe(3);
    const [, keys] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the keys routes' });
    expect(keys.Properties.Environment.Variables.FLUSH_SETTLE_SECONDS).toBe('10');
  });

  it('queue requests in an encrypted queue with a dead-letter queue, consumed with partial batch failures', () => {
    const [queueId, queue] = onlyResource(template, 'AWS::SQS::Queue', { VisibilityTimeout: 60 });
    expect(queue.Properties).toMatchObject({ SqsManagedSseEnabled: true, RedrivePolicy: { maxReceiveCount: 5 } });
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 2 },
    });
    const [, consumer] = onlyResource(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('flushes the authorizer cache'),
    });
    const statements = statementsOfRole(template, consumer.Properties.Role['Fn::GetAtt'][0]);
    expect(JSON.stringify(statements)).toMatch(/\/restapis\/.*\/stages\/prod\/cache\/authorizers/);
    expect(actionsOf(statements)).toEqual(expect.arrayContaining(['sqs:SendMessage', 'apigateway:DELETE']));
  });

  it('let the keys and panel functions queue flushes, and tell them where', () => {
    const [queueId] = onlyResource(template, 'AWS::SQS::Queue', { VisibilityTimeout: 60 });
    for (const name of ['keys', 'panel']) {
      const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: `keygate: the ${name} routes` });
      expect(fn.Properties.Environment.Variables.FLUSH_QUEUE_URL).toEqual({ Ref: queueId });
      const statements = statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]);
      expect(actionsOf(statements)).toContain('sqs:SendMessage');
    }
  });
});

describe('grace ends further than one hop of the flush queue', () => {
  const group = () => onlyResource(template, 'AWS::Scheduler::ScheduleGroup');
  const deadLetters = () => {
    const [, queue] = onlyResource(template, 'AWS::SQS::Queue', { VisibilityTimeout: 60 });
    return [queue.Properties.RedrivePolicy.deadLetterTargetArn['Fn::GetAtt'][0] as string];
  };
  const role = () =>
    onlyResource(template, 'AWS::IAM::Role', { Description: Match.stringLikeRegexp("grace ends' flush requests") });

  it('wait in one-time schedules of a group of their own, deleted with the stack', () => {
    const [, scheduleGroup] = group();
    expect(scheduleGroup.DeletionPolicy).toBe('Delete');
  });

  it("are sent by a role only this account's schedules of that group may assume, which may send to the flush queue or its dead letters and nothing else", () => {
    const [queueId] = onlyResource(template, 'AWS::SQS::Queue', { VisibilityTimeout: 60 });
    const [groupId] = group();
    const [roleId, scheduleRole] = role();
    expect(scheduleRole.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
          ArnEquals: { 'aws:SourceArn': { 'Fn::GetAtt': [groupId, 'Arn'] } },
        },
      },
    ]);
    const [deadLettersId] = deadLetters();
    expect(statementsOfRole(template, roleId)[0].Resource).toHaveLength(2);
    expect(statementsOfRole(template, roleId)).toEqual([
      {
        Action: 'sqs:SendMessage',
        Effect: 'Allow',
        Resource: expect.arrayContaining([
          { 'Fn::GetAtt': [queueId, 'Arn'] },
          { 'Fn::GetAtt': [deadLettersId, 'Arn'] },
        ]),
      },
    ]);
  });

  it('are scheduled by the keys and panel functions only: CreateSchedule in the group, passing that role to the scheduler', () => {
    const [queueId] = onlyResource(template, 'AWS::SQS::Queue', { VisibilityTimeout: 60 });
    const [
      ,
      {
        Properties: { Name: groupName },
      },
    ] = group();
    const [roleId] = role();
    const schedulers: string[] = [];
    for (const [, fn] of Object.entries(template.findResources('AWS::Lambda::Function')) as [string, Resource][]) {
      const roleOf = fn.Properties.Role?.['Fn::GetAtt']?.[0];
      if (roleOf === undefined) continue;
      const statements = statementsOfRole(template, roleOf);
      const create = statements.filter((s) => [s.Action].flat().includes('scheduler:CreateSchedule'));
      const pass = statements.filter((s) => [s.Action].flat().includes('iam:PassRole'));
      if (create.length === 0 && pass.length === 0) continue;
      schedulers.push(String(fn.Properties.Description));
      expect(create).toEqual([
        {
          Action: 'scheduler:CreateSchedule',
          Effect: 'Allow',
          Resource: {
            'Fn::Join': [
              '',
              [
                'arn:',
                { Ref: 'AWS::Partition' },
                ':scheduler:',
                { Ref: 'AWS::Region' },
                ':',
                { Ref: 'AWS::AccountId' },
                `:schedule/${groupName}/*`,
              ],
            ],
          },
        },
      ]);
      expect(pass).toEqual([
        {
          Action: 'iam:PassRole',
          Effect: 'Allow',
          Resource: { 'Fn::GetAtt': [roleId, 'Arn'] },
          Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        },
      ]);
      expect(fn.Properties.Environment.Variables).toMatchObject({
        FLUSH_QUEUE_ARN: { 'Fn::GetAtt': [queueId, 'Arn'] },
        FLUSH_SCHEDULE_GROUP: groupName,
        FLUSH_SCHEDULE_ROLE_ARN: { 'Fn::GetAtt': [roleId, 'Arn'] },
        FLUSH_DEAD_LETTER_ARN: { 'Fn::GetAtt': [deadLetters()[0], 'Arn'] },
      });
    }
    expect(schedulers.sort()).toEqual(['keygate: the keys routes', 'keygate: the panel routes']);
  });
});

describe('lambdas', () => {
  it('are all ARM64 on nodejs22.x with JSON logs to their own log group', () => {
    // the CDK's own Provider framework functions (teardown's custom resource) run what the CDK pins.
    const functions = (Object.values(template.findResources('AWS::Lambda::Function')) as Resource[]).filter((fn) =>
      String(fn.Properties.Description).startsWith('keygate:'),
    );
    // the authorizer and its keys-only twin, the five route functions (events and leaks among them), the cache flush consumer, the reconciler, teardown's two, the outbox publisher, the daily notices and the usage aggregator.
    expect(functions).toHaveLength(14);
    for (const fn of functions) {
      expect(fn.Properties).toMatchObject({
        Architectures: ['arm64'],
        Runtime: 'nodejs22.x',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it('map stack traces to sources everywhere but in the authorizer, which is on the request path', () => {
    const authorizers = [authorizerFunction(template)[0], authorizerFunction(template, 'false')[0]];
    // keygate's own functions; the teardown's CDK provider framework brings its own.
    const functions = (Object.entries(template.findResources('AWS::Lambda::Function')) as [string, Resource][]).filter(
      ([, fn]) => String(fn.Properties.Description ?? '').startsWith('keygate'),
    );
    expect(functions.length).toBeGreaterThanOrEqual(6);
    for (const [id, fn] of functions) {
      expect({ id, NODE_OPTIONS: fn.Properties.Environment.Variables.NODE_OPTIONS }).toEqual({
        id,
        NODE_OPTIONS: authorizers.includes(id) ? undefined : '--enable-source-maps',
      });
    }
  });

  it('keep their logs a month', () => {
    const groups = Object.values(template.findResources('AWS::Logs::LogGroup')) as Resource[];
    for (const group of groups) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('give the account function read access to the table and its index only', () => {
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the account routes' });
    const statements = statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]);
    const actions = actionsOf(statements);
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const write of [
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:Scan',
    ]) {
      expect(actions).not.toContain(write);
    }
    const [tableId] = onlyResource(template, 'AWS::DynamoDB::Table');
    expect(fn.Properties.Environment.Variables.TABLE_NAME).toEqual({ Ref: tableId });
  });

  it('give the events function read access to the table only, and nothing on the control plane', () => {
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the events routes' });
    const actions = actionsOf(statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    for (const write of [
      'dynamodb:PutItem',
      'dynamodb:DeleteItem',
      'dynamodb:UpdateItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:Scan',
    ]) {
      expect(actions).not.toContain(write);
    }
    expect(actions.filter((action) => action.startsWith('apigateway:'))).toEqual([]);
  });

  it('name both listing indexes exactly in the keys function DynamoDB grant, never index/*', () => {
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the keys routes' });
    const statements = statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]);
    const query = statements.find((s) => [s.Action].flat().includes('dynamodb:Query'));
    const resources = JSON.stringify(query?.Resource);
    expect(resources).toContain('/index/byTenant"');
    expect(resources).toContain('/index/byTenantEnvironment"');
    expect(resources).not.toContain('index/*');
  });

  it('give the keys function read-write access, the settings it reads at load, and the cache flush', () => {
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the keys routes' });
    const [apiId] = onlyResource(template, 'AWS::ApiGateway::RestApi');
    expect(fn.Properties.Environment.Variables).toMatchObject({
      KEY_PREFIX: 'sk',
      REST_API_ID: { Ref: apiId },
      STAGE_NAME: 'prod',
      NAME_PREFIX: 'Keygate',
      PLANS: expect.stringContaining(
        '"starter":{"usagePlanName":"Keygate-starter","limits":{"rateLimit":10,"burstLimit":20}}',
      ),
    });
    const statements = statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]);
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining([
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'apigateway:DELETE',
        'apigateway:POST',
      ]),
    );
    expect(actionsOf(statements)).not.toContain('dynamodb:Scan');
    // a Deny (on what another keygate stack tagged) grants nothing.
    expect(actionsOf(statements.filter((s) => (s as { Effect?: string }).Effect !== 'Deny'))).not.toContain(
      'apigateway:PATCH',
    );
    expect(JSON.stringify(statements)).toMatch(/\/restapis\/.*\/stages\/prod\/cache\/authorizers/);
  });

  it('let only the panel function change usage plans, and never the shared ones', () => {
    for (const name of ['account', 'keys']) {
      const [, fn] = onlyResource(template, 'AWS::Lambda::Function', { Description: `keygate: the ${name} routes` });
      const statements = statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]);
      // listing plans (to find the shared ones by name) is all they may do with /usageplans itself.
      const onPlans = statements.filter((s) => JSON.stringify(s.Resource).includes('::/usageplans"'));
      expect(actionsOf(onPlans)).toEqual(['apigateway:GET']);
      expect(JSON.stringify(statements.filter((s) => (s as { Effect?: string }).Effect !== 'Deny'))).not.toMatch(
        /"apigateway:PATCH"/,
      );
    }
    const [, panel] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the panel routes' });
    const statements = statementsOfRole(template, panel.Properties.Role['Fn::GetAtt'][0]);
    // the shared-plans guard: the Deny with no condition (the other is on foreign keygate:stack tags).
    const deny = statements.find((s) => (s as { Effect?: string }).Effect === 'Deny' && s.Condition === undefined);
    expect(deny?.Action).toEqual(['apigateway:DELETE', 'apigateway:PATCH']);
    const planIds = Object.keys(template.findResources('AWS::ApiGateway::UsagePlan'));
    expect(JSON.stringify(deny?.Resource)).toEqual(expect.stringContaining(planIds[0]));
    expect(planIds.every((id) => JSON.stringify(deny?.Resource).includes(id))).toBe(true);
  });

  it('grant nothing broader than named actions anywhere in the stack', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy')) as Resource[];
    const actions = actionsOf(policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]));
    expect(actions.filter((action) => action.includes('*'))).toEqual([]);
    for (const never of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem'])
      expect(actions).not.toContain(never);
  });
});

describe('settings', () => {
  const context = (values: Record<string, unknown>) => settingsFromContext(new App({ context: values }).node);

  it('defaults every setting', () => {
    expect(context({})).toEqual(DEFAULT_SETTINGS);
  });

  it('accepts strings, as `cdk synth -c` passes them', () => {
    const settings = context({
      'keygate:acceptBareKeys': 'false',
      'keygate:authorizerCacheTtlSeconds': '0',
      'keygate:plans': '{"starter":{"rateLimit":5,"burstLimit":10}}',
    });
    expect(settings.acceptBareKeys).toBe(false);
    expect(settings.authorizerCacheTtlSeconds).toBe(0);
    expect(settings.plans.starter).toEqual({ rateLimit: 5, burstLimit: 10 });
    expect(settings.plans.scale).toEqual(DEFAULT_SETTINGS.plans.scale);
  });

  it('rejects a bad key prefix, naming the key and the value', () => {
    expect(() => context({ 'keygate:keyPrefix': 'SK_' })).toThrow(/keygate:keyPrefix.*"SK_"/);
  });

  it('rejects a cache TTL over an hour, naming the value', () => {
    expect(() => context({ 'keygate:authorizerCacheTtlSeconds': 99999 })).toThrow(
      /keygate:authorizerCacheTtlSeconds must be a whole number from 0 to 3600, received 99999/,
    );
  });

  it('rejects a boolean it cannot read, an unknown plan and an operator plan that is not configured', () => {
    expect(() => context({ 'keygate:acceptBareKeys': 'yes' })).toThrow(
      /keygate:acceptBareKeys must be true or false, received "yes"/,
    );
    expect(() => context({ 'keygate:lastUsedIntervalSeconds': 86_401 })).toThrow(
      /keygate:lastUsedIntervalSeconds must be a whole number from 60 to 86400/,
    );
    expect(() => context({ 'keygate:plans': { gold: { rateLimit: 1, burstLimit: 1 } } })).toThrow(
      /unknown plan "gold"/,
    );
    expect(() => context({ 'keygate:operatorPlan': 'enterprise' })).toThrow(/keygate:operatorPlan.*"enterprise"/);
    expect(() => context({ 'keygate:plans': { starter: { rateLimit: -1 } } })).toThrow(/starter.rateLimit.*-1/);
  });

  it('are validated again by the stack', () => {
    const stackApp = testApp();
    expect(() => new KeygateStack(stackApp, 'Bad', { settings: { ...DEFAULT_SETTINGS, keyPrefix: 'SK_' } })).toThrow(
      /"SK_"/,
    );
    expect(resolveSettings(DEFAULT_SETTINGS)).toEqual(DEFAULT_SETTINGS);
  });

  it('are validated by the authorizer construct on its own', () => {
    const stack = new Stack(testApp(), 'Alone');
    const table = new KeyTable(stack, 'Keys');
    expect(() => new KeyAuthorizer(stack, 'A', { table, resultsCacheTtl: Duration.hours(2) })).toThrow(
      /resultsCacheTtl must be a whole number of seconds from 0 to 3600, received 2 hours/,
    );
    expect(() => new KeyAuthorizer(stack, 'B', { table, keyPrefix: 'SK_' })).toThrow(/"SK_"/);
    expect(() => new KeyAuthorizer(stack, 'C', { table, lastUsedInterval: Duration.seconds(30) })).toThrow(
      /lastUsedInterval must be a whole number of seconds from 60 to 86400, received 30 seconds/,
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
    expect(report.success).toBe(true);
  });
});

describe('the plan reconciler', () => {
  const reconcileQueue = () =>
    onlyResource(template, 'AWS::SQS::Queue', { FifoQueue: true, RedrivePolicy: Match.anyValue() });

  it('is fed by a FIFO queue with a dead-letter queue, in order, with partial batch failures', () => {
    const [queueId, queue] = reconcileQueue();
    expect(queue.Properties).toMatchObject({
      SqsManagedSseEnabled: true,
      RedrivePolicy: { maxReceiveCount: 15 },
      VisibilityTimeout: 720,
    });
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('usage plans match tenant plans'),
    });
    expect(fn.Properties.Timeout).toBe(120);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [queueId, 'Arn'] },
      BatchSize: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
  });

  it('alarms when a plan change cannot be applied or waits too long', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    const metrics = alarms.map((alarm) => alarm.Properties.MetricName);
    expect(metrics).toEqual(
      expect.arrayContaining(['ApproximateNumberOfMessagesVisible', 'ApproximateAgeOfOldestMessage']),
    );
  });

  it('may manage usage plans and API keys and flush the cache; only the panel may ask it', () => {
    const [queueId] = reconcileQueue();
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('usage plans match tenant plans'),
    });
    const actions = actionsOf(statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]));
    expect(actions).toEqual(
      expect.arrayContaining([
        'apigateway:PATCH',
        'apigateway:POST',
        'apigateway:DELETE',
        'apigateway:GET',
        'sqs:SendMessage',
      ]),
    );
    const [, panel] = onlyResource(template, 'AWS::Lambda::Function', { Description: 'keygate: the panel routes' });
    expect(panel.Properties.Environment.Variables.RECONCILE_QUEUE_URL).toEqual({ Ref: queueId });
    for (const name of ['keys', 'account']) {
      const [, other] = onlyResource(template, 'AWS::Lambda::Function', { Description: `keygate: the ${name} routes` });
      expect(other.Properties.Environment.Variables.RECONCILE_QUEUE_URL).toBeUndefined();
    }
  });
});

describe('the outbox publisher', () => {
  it("reads the table's stream, inserted event items only, and keeps what it cannot publish in a dead-letter queue", () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', { StreamSpecification: { StreamViewType: 'NEW_IMAGE' } });
    const [, fn] = onlyResource(template, 'AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('publishes committed outbox events'),
    });
    const mapping = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).find((resource) =>
      JSON.stringify((resource as Resource).Properties.FilterCriteria ?? {}).includes('EVENT#'),
    ) as Resource | undefined;
    expect(mapping?.Properties).toMatchObject({
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: expect.anything() } },
    });
    expect(JSON.parse(mapping?.Properties.FilterCriteria.Filters[0].Pattern)).toEqual({
      eventName: ['INSERT'],
      dynamodb: { Keys: { pk: { S: [{ prefix: 'EVENT#' }] } } },
    });
    const statements = statementsOfRole(template, fn.Properties.Role['Fn::GetAtt'][0]);
    expect(actionsOf(statements)).toContain('events:PutEvents');
    expect(JSON.stringify(statements.find((s) => [s.Action].flat().includes('events:PutEvents'))?.Resource)).toContain(
      'event-bus/default',
    );
  });
});
