import {
  APIGatewayClient,
  FlushStageAuthorizersCacheCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-api-gateway';
import {
  ConflictException,
  CreateScheduleCommand,
  SchedulerClient,
  ValidationException,
} from '@aws-sdk/client-scheduler';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { createCacheFlushHandler } from '../../lambdas/cache/handler';
import { StageCacheFlusher, StagesCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { FLUSH_PACE_MS } from '../../lambdas/core/auth/flush-batch';
import { fixedClock, recordingLogger } from '../support/fixtures';
import { settlingFlusher, TEST_FLUSH_QUEUE_URL, TEST_FLUSH_SCHEDULE } from '../support/flush';
import { flushLater, graceEndScheduleName, SettlingCacheFlusher } from '../../lambdas/core/auth/cache';
import { SqsFlushQueue } from '../../lambdas/runtime/flush-queue';
import { instant } from '../support/time';

const apiGateway = mockClient(APIGatewayClient);
const sqs = mockClient(SQSClient);
const scheduler = mockClient(SchedulerClient);
const NOW = instant(0, '10:00');
const KEY_ID = `key_${'a1'.repeat(12)}`;

beforeEach(() => {
  apiGateway.reset();
  sqs.reset();
  scheduler.reset();
  scheduler.on(CreateScheduleCommand).resolves({});
  apiGateway.on(FlushStageAuthorizersCacheCommand).resolves({});
  sqs.on(SendMessageCommand).resolves({});
});

const stage = () => new StageCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), 'api123', 'prod');
const sent = () =>
  sqs
    .commandCalls(SendMessageCommand)
    .map((call) => ({ ...call.args[0].input, MessageBody: JSON.parse(call.args[0].input.MessageBody as string) }));

const scheduled = () =>
  scheduler.commandCalls(CreateScheduleCommand).map((call) => call.args[0].input as { Name: string } & object);

function consumer(now: string, flusher: { flush(): Promise<void> } = stage()) {
  let time = Date.parse(now);
  const clock = () => new Date(time);
  const logger = recordingLogger();
  const slept: number[] = [];
  const handler = createCacheFlushHandler({
    flushNow: () => flusher.flush(),
    queue: new SqsFlushQueue(new SQSClient({ region: 'eu-west-1' }), TEST_FLUSH_QUEUE_URL),
    settleMs: 10_000,
    clock,
    paceMs: FLUSH_PACE_MS,
    sleep: async (ms) => {
      slept.push(ms);
      time += ms;
    },
    logger,
  });
  const deliver = (...bodies: unknown[]) =>
    handler({
      Records: bodies.map((body, i) => ({
        messageId: `m${i}`,
        body: typeof body === 'string' ? body : JSON.stringify(body),
      })),
    } as SQSEvent);
  const advance = (ms: number) => {
    time += ms;
  };
  return { deliver, logger, slept, advance };
}

describe('SettlingCacheFlusher', () => {
  it('flushes at once and queues a second flush for when every call in flight has ended', async () => {
    await settlingFlusher(stage(), fixedClock(NOW)).flush();
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
    expect(sent()).toEqual([
      {
        QueueUrl: TEST_FLUSH_QUEUE_URL,
        DelaySeconds: 10,
        MessageBody: { at: instant(0, '10:00:10'), followUp: false },
      },
    ]);
  });

  it('fails the flush when the immediate flush fails, queueing nothing', async () => {
    apiGateway
      .on(FlushStageAuthorizersCacheCommand)
      .rejects(new TooManyRequestsException({ message: 'slow down', $metadata: {} }));
    await expect(settlingFlusher(stage(), fixedClock(NOW)).flush()).rejects.toThrow('slow down');
    expect(sent()).toEqual([]);
  });

  it('schedules a grace end a week away once, at its time in UTC, sending the follow-up request to the flush queue', async () => {
    await settlingFlusher(stage(), fixedClock(NOW)).flushAt(new Date(instant(7, '10:00:00.250')), KEY_ID);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(0);
    expect(sent()).toEqual([]);
    const schedules = scheduled();
    expect(schedules).toHaveLength(1);
    // to the second, rounded up so that it never fires before the grace end's millisecond.
    const when = instant(7, '10:00:01').slice(0, 19);
    expect(schedules[0]).toEqual({
      Name: `${KEY_ID}-${instant(7, '10:00').slice(0, 19).replace(/[-:]/g, '')}Z`,
      GroupName: TEST_FLUSH_SCHEDULE.groupName,
      ScheduleExpression: `at(${when})`,
      ScheduleExpressionTimezone: 'UTC',
      FlexibleTimeWindow: { Mode: 'OFF' },
      ActionAfterCompletion: 'DELETE',
      Description: expect.any(String),
      Target: {
        Arn: TEST_FLUSH_SCHEDULE.queueArn,
        RoleArn: TEST_FLUSH_SCHEDULE.roleArn,
        Input: JSON.stringify({ at: instant(7, '10:00:00.250'), followUp: true }),
        DeadLetterConfig: { Arn: TEST_FLUSH_SCHEDULE.deadLetterArn },
      },
    });
    expect(schedules[0].Name.length).toBeLessThanOrEqual(64);
    expect(schedules[0].Name).toMatch(/^[0-9a-zA-Z._-]+$/);
  });

  it('schedules a repeated grace end once: the name is taken, and the conflict is success', async () => {
    const names = new Set<string>();
    scheduler.on(CreateScheduleCommand).callsFake((input: { Name: string }) => {
      if (names.has(input.Name))
        throw new ConflictException({ Message: 'already exists', message: 'already exists', $metadata: {} });
      names.add(input.Name);
      return {};
    });
    const flusher = settlingFlusher(stage(), fixedClock(NOW));
    await flusher.flushAt(new Date(instant(7, '10:00')), KEY_ID);
    await expect(flusher.flushAt(new Date(instant(7, '10:00')), KEY_ID)).resolves.toBeUndefined();
    expect(new Set(scheduled().map((input) => input.Name)).size).toBe(1);
    expect(names.size).toBe(1);
  });

  it('fails a grace end the scheduler refuses for another reason', async () => {
    scheduler
      .on(CreateScheduleCommand)
      .rejects(new ValidationException({ Message: 'no such group', message: 'no such group', $metadata: {} }));
    await expect(
      settlingFlusher(stage(), fixedClock(NOW)).flushAt(new Date(instant(7, '10:00')), KEY_ID),
    ).rejects.toThrow('no such group');
  });

  it('logs a grace end it could not schedule under the cache-flush alarm, failing nothing', async () => {
    scheduler.on(CreateScheduleCommand).rejects(new Error('throttled'));
    const logger = recordingLogger();
    await flushLater(settlingFlusher(stage(), fixedClock(NOW)), new Date(instant(7, '10:00')), KEY_ID, logger);
    expect(JSON.stringify(logger.lines)).toContain('authorizer cache flush failed');
    expect(JSON.stringify(logger.lines)).toContain(KEY_ID);
  });

  it('queues a grace end within one hop of the queue as one delayed message, without a schedule', async () => {
    await settlingFlusher(stage(), fixedClock(NOW)).flushAt(new Date(instant(0, '10:15')), KEY_ID);
    expect(scheduled()).toEqual([]);
    expect(sent()).toEqual([
      { QueueUrl: TEST_FLUSH_QUEUE_URL, DelaySeconds: 900, MessageBody: { at: instant(0, '10:15'), followUp: true } },
    ]);
  });

  it('names a key id that does not fit a schedule name by its hash', () => {
    const name = graceEndScheduleName(`key/${'x'.repeat(80)}`, new Date(instant(7, '10:00')));
    expect(name).toMatch(/^[0-9a-f]{40}-\d{8}T\d{6}Z$/);
  });

  it('refuses a settle time beyond one hop of the queue', () => {
    expect(() => settlingFlusher(stage(), fixedClock(NOW), 901_000)).toThrow(RangeError);
    expect(
      () =>
        new SettlingCacheFlusher({
          flushNow: async () => undefined,
          queue: { send: async () => undefined },
          scheduler: { schedule: async () => undefined },
          settleMs: -1,
          clock: fixedClock(NOW),
        }),
    ).toThrow(RangeError);
  });
});

describe('the flush queue consumer', () => {
  it('sends a request that is not yet due on again, without flushing', async () => {
    const { deliver } = consumer(instant(0, '10:15'));
    const result = await deliver({ at: instant(0, '11:00'), followUp: true });
    expect(result.batchItemFailures).toEqual([]);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(0);
    expect(sent()).toEqual([
      { QueueUrl: TEST_FLUSH_QUEUE_URL, DelaySeconds: 900, MessageBody: { at: instant(0, '11:00'), followUp: true } },
    ]);
  });

  it('sends the last hop with the exact remaining delay', async () => {
    const { deliver } = consumer(instant(0, '10:59:20.500'));
    await deliver({ at: instant(0, '11:00'), followUp: true });
    expect(sent()[0].DelaySeconds).toBe(40);
  });

  it('flushes a due request and queues its follow-up after the settle time', async () => {
    const { deliver } = consumer(instant(0, '11:00:00.200'));
    await deliver({ at: instant(0, '11:00'), followUp: true });
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)[0].args[0].input).toEqual({
      restApiId: 'api123',
      stageName: 'prod',
    });
    expect(sent()).toEqual([
      {
        QueueUrl: TEST_FLUSH_QUEUE_URL,
        DelaySeconds: 10,
        MessageBody: { at: instant(0, '11:00:10.200'), followUp: false },
      },
    ]);
  });

  it('flushes a due follow-up once, queueing nothing more', async () => {
    const { deliver } = consumer(instant(0, '11:00:10.300'));
    await deliver({ at: instant(0, '11:00:10.200'), followUp: false });
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
    expect(sent()).toEqual([]);
  });

  it('reports every due request of a batch when their one flush fails, so SQS retries them', async () => {
    apiGateway
      .on(FlushStageAuthorizersCacheCommand)
      .rejectsOnce(new TooManyRequestsException({ message: 'slow down', $metadata: {} }))
      .resolves({});
    const { deliver, logger } = consumer(instant(0, '11:00'));
    const result = await deliver(
      { at: instant(0, '10:00'), followUp: false },
      { at: instant(0, '10:00'), followUp: false },
      { at: instant(0, '11:30'), followUp: false },
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: 'm0' }, { itemIdentifier: 'm1' }]);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
    expect(sent().map((message) => message.MessageBody)).toEqual([{ at: instant(0, '11:30'), followUp: false }]);
    expect(JSON.stringify(logger.lines)).toContain('authorizer cache flush failed');
  });

  it('flushes each stage once for a batch of ten due requests, and queues one second flush', async () => {
    const stages = new StagesCacheFlusher(new APIGatewayClient({ region: 'eu-west-1' }), [
      { restApiId: 'api123', stageName: 'prod' },
      { restApiId: 'api456', stageName: 'v1' },
    ]);
    const { deliver } = consumer(instant(0, '11:00'), stages);
    const bodies = Array.from({ length: 10 }, (_, i) => ({ at: instant(0, `10:59:5${i}`), followUp: i % 3 === 0 }));
    const result = await deliver(...bodies);
    expect(result.batchItemFailures).toEqual([]);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand).map((call) => call.args[0].input)).toEqual([
      { restApiId: 'api123', stageName: 'prod' },
      { restApiId: 'api456', stageName: 'v1' },
    ]);
    expect(sent()).toEqual([
      {
        QueueUrl: TEST_FLUSH_QUEUE_URL,
        DelaySeconds: 10,
        MessageBody: { at: instant(0, '11:00:10'), followUp: false },
      },
    ]);
  });

  it('makes no flush for requests its last flush already covered', async () => {
    const { deliver, advance } = consumer(instant(0, '11:00'));
    await deliver({ at: instant(0, '10:59:59'), followUp: false });
    advance(5_000);
    await deliver({ at: instant(0, '10:59:59.500'), followUp: false }, { at: instant(0, '11:00'), followUp: false });
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(1);
  });

  it('waits out its pace before a flush that follows its last too closely', async () => {
    const { deliver, advance, slept } = consumer(instant(0, '11:00'));
    await deliver({ at: instant(0, '11:00'), followUp: false });
    advance(300);
    await deliver({ at: instant(0, '11:00:00.200'), followUp: false });
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(2);
    expect(slept).toEqual([FLUSH_PACE_MS - 300]);
  });

  it.each([
    ['not JSON', 'flush please'],
    ['a bad date', { at: 'tomorrow', followUp: true }],
    ['an unknown field', { at: NOW, followUp: true, extra: 1 }],
  ])('drops a malformed request (%s) without retrying it', async (_label, body) => {
    const { deliver, logger } = consumer(NOW);
    const result = await deliver(body);
    expect(result.batchItemFailures).toEqual([]);
    expect(apiGateway.commandCalls(FlushStageAuthorizersCacheCommand)).toHaveLength(0);
    expect(JSON.stringify(logger.lines)).toContain('malformed flush request dropped');
  });
});
