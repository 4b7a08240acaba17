import { parseGatewayAnswers } from '../../lambdas/core/http/gateway-answers';
import { resolveSettings } from '../../lib/settings';

const NAME = 'keygate:gatewayAnswers';

describe('gatewayAnswers (keygate:gatewayAnswers, KEYGATE_GATEWAY_ANSWERS)', () => {
  it('is absent unless set', () => {
    for (const value of [undefined, null, '']) expect(parseGatewayAnswers(NAME, value)).toBeUndefined();
  });

  it('sends a JSON body as compact JSON and a string body byte for byte, with default statuses', () => {
    const answers = parseGatewayAnswers(NAME, {
      unauthorized: { body: { msg: 'Invalid API key' } },
      suspended: { body: { msg: 'No subscription found' } },
      throttled: { body: 'slow down ✋' },
      forbidden: { status: 403, body: ['no'] },
    });
    expect(answers).toEqual({
      unauthorized: { status: 401, body: '{"msg":"Invalid API key"}' },
      suspended: { status: 403, body: '{"msg":"No subscription found"}' },
      throttled: { status: 429, body: 'slow down ✋' },
      forbidden: { status: 403, body: '["no"]' },
    });
  });

  it('reads JSON text, as a context value or a variable arrives', () => {
    expect(parseGatewayAnswers(NAME, '{"unauthorized":{"status":403,"body":{"msg":"x"}}}')).toEqual({
      unauthorized: { status: 403, body: '{"msg":"x"}' },
    });
  });

  it.each([
    ['{not json', /keygate:gatewayAnswers must be a JSON object/],
    [['unauthorized'], /must be a JSON object/],
    [{ unauthorised: { body: 'x' } }, /unknown answer "unauthorised".*unauthorized, forbidden, throttled, suspended/],
    [{ unauthorized: 'Invalid API key' }, /unauthorized must be \{"status"\?, "body"\}/],
    [{ unauthorized: { status: 401 } }, /unauthorized\.body is required/],
    [{ unauthorized: { body: 'x', headers: {} } }, /unauthorized has an unknown field "headers"/],
    [
      { unauthorized: { status: 200, body: 'x' } },
      /unauthorized\.status must be an integer from 400 to 599, received 200/,
    ],
    [{ unauthorized: { status: '401', body: 'x' } }, /unauthorized\.status must be an integer/],
    [{ unauthorized: { body: '$context.error.message' } }, /unauthorized\.body must not contain "\$"/],
    [{ unauthorized: { body: 'x'.repeat(4097) } }, /unauthorized\.body must be at most 4096 bytes/],
    [
      { suspended: { status: 401, body: 'x' } },
      /suspended\.status \(401\) must equal forbidden\.status \(403\): API Gateway answers both/,
    ],
  ])('refuses bad value #%# with a clear message', (value, message) => {
    expect(() => parseGatewayAnswers(NAME, value)).toThrow(message);
  });

  it('is a deployment setting, validated with the others and named by its context key', () => {
    expect(
      resolveSettings({ gatewayAnswers: '{"unauthorized":{"body":{"msg":"Invalid API key"}}}' }).gatewayAnswers,
    ).toEqual({ unauthorized: { status: 401, body: '{"msg":"Invalid API key"}' } });
    expect(resolveSettings({}).gatewayAnswers).toBeUndefined();
    expect(() => resolveSettings({ gatewayAnswers: '{' }, () => NAME)).toThrow(/keygate:gatewayAnswers must be/);
  });
});
