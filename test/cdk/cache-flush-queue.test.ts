import {
  APIGatewayClient,
  FlushStageAuthorizersCacheCommand,
  TooManyRequestsException,
} from '@aws-sdk/client-api-gateway';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { mockClient } from 'aws-sdk-client-mock';
import { createCacheFlushHandler } from '../../lambdas/cache/handler';
import { SettlingCacheFlusher } from '../../lambdas/core/auth/cache';
import { FLUSH_PACE_MS } from '../../lambdas/core/auth/flush-batch';
import { SqsFlushQueue } from '../../lambdas/runtime/flush-queue';
import { StagesCacheFlusher } from '../../lambdas/runtime/stage-cache-flusher';
import { KeygateStack } from '../../lib/keygate-stack';
import { DEFAULT_SETTINGS } from '../../lib/settings';
import { testApp } from '../support/cdk';
import { recordingLogger } from '../support/fixtures';
import { queueFeedOf, StandardQueueSim, type QueueFeed } from '../support/sqs-lambda';
import { instant } from '../support/time';

/**
 * The authorizer cache flush queue as deployed: its template, and its consumer under API
 * Gateway's control-plane quota (10 requests per second with a burst of 40, shared by every
 * control-plane call of the account:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/limits.html), played with the
 * batch size, concurrency and visibility the template holds.
 */
let template: Template;
let feed: QueueFeed;
let mapping: Record<string, any>;

beforeAll(() => {
  template = Template.fromStack(new KeygateStack(testApp(), 'Keygate', { settings: DEFAULT_SETTINGS }));
  const functions = template.findResources('AWS::Lambda::Function', {
    Properties: { Description: Match.stringLikeRegexp('flushes the authorizer cache') },
  });
  const [functionId] = Object.keys(functions);
  const mappings = Object.values(
    template.findResources('AWS::Lambda::EventSourceMapping', { Properties: { FunctionName: { Ref: functionId } } }),
  );
  expect(mappings).toHaveLength(1);
  mapping = mappings[0].Properties;
  feed = queueFeedOf(template, mapping.EventSourceArn['Fn::GetAtt'][0]);
});

describe('the flush queue template', () => {
  it('keeps a message invisible at least six times the function timeout, as Lambda asks', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-configure.html
    expect(feed.visibilityTimeoutMs).toBeGreaterThanOrEqual(6 * feed.functionTimeoutMs);
  });

  it('caps the consumers at two at once, the least Lambda takes', () => {
    // https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html
    expect(feed.maximumConcurrency).toBe(2);
  });

  it('hands over what is due at once, without a batching window that would delay the second flush', () => {
    expect(mapping.MaximumBatchingWindowInSeconds).toBeUndefined();
    expect(feed.batchSize).toBe(10);
    expect(feed.reportBatchItemFailures).toBe(true);
  });
});

const apiGatewayMock = mockClient(APIGatewayClient);
const sqsMock = mockClient(SQSClient);
afterAll(() => {
  apiGatewayMock.restore();
  sqsMock.restore();
});

const STAGES = [
  { restApiId: 'api123', stageName: 'prod' },
  { restApiId: 'api456', stageName: 'v1' },
];
const SETTLE_MS = 10_000;
/** How long one control-plane call takes, on the test's clock. */
const CALL_MS = 50;

/**
 * A burst of revocations: each flushes at once (outside this test) and queues its second flush
 * for the settle time later, through the queue the template describes, to consumers built as
 * `lambdas/cache/index.ts` builds them; `FlushStageAuthorizersCache` answers from a token bucket
 * of 40 refilled at 10 a second, `TooManyRequestsException` when it is empty.
 */
async function burst(revocations: number, overMs: number) {
  const time = { now: Date.parse(instant(0, '10:00')) };
  const clock = () => new Date(time.now);
  const sim = new StandardQueueSim(feed, time);
  sqsMock.reset();
  sqsMock.on(SendMessageCommand).callsFake(async (input) => {
    sim.send(input.MessageBody, input.DelaySeconds);
    return { MessageId: 'sent' };
  });
  const bucket = { tokens: 40, at: time.now };
  const flushes: { stage: string; at: number }[] = [];
  let throttled = 0;
  apiGatewayMock.reset();
  apiGatewayMock.on(FlushStageAuthorizersCacheCommand).callsFake(async (input) => {
    const at = time.now;
    time.now += CALL_MS;
    if (at > bucket.at) {
      bucket.tokens = Math.min(40, bucket.tokens + ((at - bucket.at) / 1000) * 10);
      bucket.at = at;
    }
    if (bucket.tokens < 1) {
      throttled += 1;
      throw new TooManyRequestsException({ message: 'Too Many Requests', $metadata: {} });
    }
    bucket.tokens -= 1;
    flushes.push({ stage: `${input.restApiId}/${input.stageName}`, at });
    return {};
  });
  const client = new APIGatewayClient({ region: 'eu-west-1', credentials: { accessKeyId: 'a', secretAccessKey: 's' } });
  const stages = new StagesCacheFlusher(client, STAGES);
  const queue = new SqsFlushQueue(new SQSClient({ region: 'eu-west-1' }), 'https://sqs.example/flush');
  const deps = {
    flushNow: () => stages.flush(),
    queue,
    settleMs: SETTLE_MS,
    clock,
    paceMs: FLUSH_PACE_MS,
    sleep: async (ms: number) => void (time.now += ms),
    logger: recordingLogger(),
  };
  const consumers = Array.from({ length: 5 }, () => createCacheFlushHandler(deps));

  // the second flushes the revocations queue, spread over `overMs`.
  const requester = new SettlingCacheFlusher({
    ...deps,
    flushNow: async () => undefined,
    scheduler: { schedule: async () => undefined },
  });
  const start = time.now;
  const asked: number[] = [];
  for (let i = 0; i < revocations; i += 1) {
    time.now = start + Math.floor((i * overMs) / revocations);
    await requester.flush();
    asked.push(time.now + SETTLE_MS);
  }
  time.now = start;
  await sim.drain(consumers);
  return { asked, flushes, throttled: () => throttled, sim };
}

describe('the flush consumer under the control-plane quota', () => {
  it('flushes a burst of 300 revocations without a throttle, each within a second of its due time', async () => {
    const { asked, flushes, throttled, sim } = await burst(300, 3_000);

    expect(throttled()).toBe(0);
    expect(sim.deadLetters).toEqual([]);
    for (const stage of STAGES.map((s) => `${s.restApiId}/${s.stageName}`)) {
      const times = flushes.filter((flush) => flush.stage === stage).map((flush) => flush.at);
      // one flush per stage for many requests: a handful for the whole burst.
      expect(times.length).toBeLessThanOrEqual(10);
      // the revocation bound: a second flush at or after each due time, at most a second later.
      const late = asked.filter((due) => !times.some((at) => at >= due && at <= due + FLUSH_PACE_MS + 2 * CALL_MS));
      expect(late).toEqual([]);
    }
  });
});
