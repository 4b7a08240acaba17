import {
  ACCESS_LOG_FIELDS,
  accessLogTemplate,
  formatAccessRecord,
  parseAccessRecord,
  type AccessRecord,
} from '../../../lambdas/core/usage/access-record';
import { instant } from '../../support/time';

const AT = Date.parse(instant(0, '10:15:30.250'));

/** A line as API Gateway writes it: every value a quoted string, `-` for a missing one. */
function gatewayLine(values: Partial<Record<keyof typeof ACCESS_LOG_FIELDS, string>>): string {
  const line = Object.fromEntries(Object.keys(ACCESS_LOG_FIELDS).map((name) => [name, '-']));
  return JSON.stringify({ ...line, ...values });
}

describe('the access log format', () => {
  it('is one JSON object of quoted $context variables, with the exact time and the stage', () => {
    const template = JSON.parse(accessLogTemplate()) as Record<string, string>;
    expect(template).toMatchObject({
      requestTimeEpoch: '$context.requestTimeEpoch',
      stage: '$context.stage',
      keyId: '$context.authorizer.principalId',
      tenantId: '$context.authorizer.tenantId',
      ip: '$context.identity.sourceIp',
      status: '$context.status',
    });
    for (const value of Object.values(template)) expect(value).toMatch(/^\$context\.[A-Za-z.]+$/);
  });

  it('reads back what the local gateway writes', () => {
    const record: AccessRecord = {
      requestId: 'r-1',
      requestTimeEpoch: AT,
      stage: 'prod',
      ip: '127.0.0.2',
      method: 'GET',
      resource: '/v1/me',
      status: 200,
      latencyMs: 12,
      keyId: 'key_0123456789abcdef01234567',
      tenantId: 'acme',
      environment: 'live',
      userAgent: 'curl/8',
    };
    expect(parseAccessRecord(formatAccessRecord(record))).toEqual(record);
  });
});

describe('parseAccessRecord', () => {
  it('reads a line as API Gateway writes it, numbers as text', () => {
    const record = parseAccessRecord(
      gatewayLine({
        requestId: 'abc',
        requestTimeEpoch: String(AT),
        stage: 'prod',
        ip: '203.0.113.9',
        method: 'POST',
        resource: '/v1/keys',
        status: '201',
        latencyMs: '48',
        keyId: 'key_0123456789abcdef01234567',
        tenantId: 'acme',
        environment: 'test',
        userAgent: 'keygate-client',
      }),
    );
    expect(record).toEqual({
      requestId: 'abc',
      requestTimeEpoch: AT,
      stage: 'prod',
      ip: '203.0.113.9',
      method: 'POST',
      resource: '/v1/keys',
      status: 201,
      latencyMs: 48,
      keyId: 'key_0123456789abcdef01234567',
      tenantId: 'acme',
      environment: 'test',
      userAgent: 'keygate-client',
    });
  });

  it('leaves a request refused before the authorizer (every caller field "-") to the stage', () => {
    const record = parseAccessRecord(
      gatewayLine({
        requestId: 'abc',
        requestTimeEpoch: String(AT),
        stage: 'prod',
        status: '401',
        errorType: 'UNAUTHORIZED',
      }),
    );
    expect(record).toMatchObject({ status: 401, errorType: 'UNAUTHORIZED', ip: '-' });
    expect(record).not.toHaveProperty('keyId');
    expect(record).not.toHaveProperty('tenantId');
  });

  it('does not trust a key id without its tenant', () => {
    const record = parseAccessRecord(
      gatewayLine({ requestId: 'a', requestTimeEpoch: String(AT), stage: 'prod', status: '200', keyId: 'key_x' }),
    );
    expect(record).not.toHaveProperty('keyId');
  });

  it.each([
    ['not JSON', 'START RequestId: abc'],
    ['a JSON array', '[1,2]'],
    ['a JSON string', '"x"'],
    ['null', 'null'],
    ['no request id', gatewayLine({ requestTimeEpoch: String(AT), stage: 'prod', status: '200' })],
    ['no time', gatewayLine({ requestId: 'a', stage: 'prod', status: '200' })],
    [
      'a time that is not a number',
      gatewayLine({ requestId: 'a', requestTimeEpoch: 'soon', stage: 'p', status: '200' }),
    ],
    ['no stage', gatewayLine({ requestId: 'a', requestTimeEpoch: String(AT), status: '200' })],
    ['no status', gatewayLine({ requestId: 'a', requestTimeEpoch: String(AT), stage: 'prod' })],
    ['a status out of range', gatewayLine({ requestId: 'a', requestTimeEpoch: String(AT), stage: 'p', status: '999' })],
    ['a negative status', gatewayLine({ requestId: 'a', requestTimeEpoch: String(AT), stage: 'p', status: '-200' })],
  ])('refuses %s', (_, line) => {
    expect(parseAccessRecord(line)).toBeUndefined();
  });
});
