import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  dataLogEvents,
  decodeSubscriptionEvent,
  SubscriptionEventError,
} from '../../lambdas/core/usage/log-subscription';

const fixture = (name: string): unknown =>
  JSON.parse(readFileSync(path.join(__dirname, '..', 'fixtures', 'usage', name), 'utf8')) as unknown;

/** An event as CloudWatch Logs sends it: the message as JSON, gzipped, base64-encoded. */
const encoded = (message: unknown): unknown => ({
  awslogs: { data: gzipSync(Buffer.from(JSON.stringify(message))).toString('base64') },
});

describe('decoding a CloudWatch Logs subscription event', () => {
  // the sample event of AWS's Lambda documentation, byte for byte as published.
  it("decodes AWS's own recorded sample", () => {
    expect(decodeSubscriptionEvent(fixture('aws-lambda-sample.json'))).toEqual({
      messageType: 'DATA_MESSAGE',
      owner: '123456789123',
      logGroup: 'testLogGroup',
      logStream: 'testLogStream',
      subscriptionFilters: ['testFilter'],
      logEvents: [
        { id: 'eventId1', timestamp: 1440442987000, message: '[ERROR] First test message' },
        { id: 'eventId2', timestamp: 1440442987001, message: '[ERROR] Second test message' },
      ],
    });
  });

  // keygate's access log as CloudWatch Logs delivers it (see test/core/usage-handler.test.ts).
  it('decodes a recorded batch of keygate access log lines with their log event ids', () => {
    const message = decodeSubscriptionEvent(fixture('access-log-subscription.json'));
    expect(message).toMatchObject({
      messageType: 'DATA_MESSAGE',
      owner: '123456789012',
      logGroup: expect.stringMatching(/^Keygate-ApiAccessLogs/),
      subscriptionFilters: [expect.stringMatching(/UsageSubscription/)],
    });
    expect(message.logEvents).toHaveLength(6);
    for (const logEvent of message.logEvents) {
      expect(logEvent.id).toMatch(/^\d{56}$/);
      expect(JSON.parse(logEvent.message)).toMatchObject({
        stage: 'prod',
        requestTimeEpoch: expect.stringMatching(/^\d+$/),
      });
    }
  });

  it('gives no events to count for a control message', () => {
    const control = encoded({
      messageType: 'CONTROL_MESSAGE',
      owner: 'CloudwatchLogs',
      logGroup: '',
      logStream: '',
      subscriptionFilters: [],
      logEvents: [{ id: '', timestamp: 1440442987000, message: 'CWL CONTROL MESSAGE: Checking health of destination' }],
    });
    expect(dataLogEvents(control)).toEqual({ logGroup: '', logEvents: [] });
  });

  it.each([
    ['no event at all', null],
    ['an event of another source', { Records: [] }],
    ['data that is not gzip', { awslogs: { data: Buffer.from('{"messageType":"DATA_MESSAGE"}').toString('base64') } }],
    ['gzip of something not JSON', { awslogs: { data: gzipSync(Buffer.from('not json')).toString('base64') } }],
  ])('refuses %s', (_, event) => {
    expect(() => decodeSubscriptionEvent(event)).toThrow(SubscriptionEventError);
  });

  it('refuses a message without its fields, naming the one missing', () => {
    const message = { messageType: 'DATA_MESSAGE', owner: '1', logGroup: 'g', logStream: 's', subscriptionFilters: [] };
    expect(() => decodeSubscriptionEvent(encoded(message))).toThrow('the message has no logEvents list');
    expect(() =>
      decodeSubscriptionEvent(encoded({ ...message, logEvents: [{ id: 'a', timestamp: '1', message: 'x' }] })),
    ).toThrow('logEvents[0] is not {id, timestamp, message}');
  });

  it('stops inflating a payload far larger than any batch', () => {
    const huge = { awslogs: { data: gzipSync(Buffer.alloc(16 * 1024 * 1024, 0x20)).toString('base64') } };
    expect(() => decodeSubscriptionEvent(huge)).toThrow(SubscriptionEventError);
  });
});
