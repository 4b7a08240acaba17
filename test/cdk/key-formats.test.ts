import { Template } from 'aws-cdk-lib/assertions';
import { tokenValidationPatternFor, type KeyFormat } from '../../lambdas/core/keys/format';
import { KeygateStack } from '../../lib/keygate-stack';
import { keyFormatsOf, resolveSettings, settingsFromContext, SettingsError } from '../../lib/settings';
import { localSettings } from '../../local/settings';
import { testApp } from '../support/cdk';

const POSTCO: KeyFormat = { prefix: 'sk', environment: false, checksum: false };
const DEFAULT: KeyFormat = { prefix: 'sk', environment: true, checksum: true };

describe('the key format settings', () => {
  it("default to today's format under the configured prefix, with no older formats", () => {
    expect(keyFormatsOf(resolveSettings({}))).toEqual([DEFAULT]);
    expect(keyFormatsOf(resolveSettings({ keyPrefix: 'acme' }))).toEqual([{ ...DEFAULT, prefix: 'acme' }]);
  });

  it('read a format and the older ones still accepted, as JSON or objects; the prefix follows the format', () => {
    const settings = resolveSettings({ keyFormat: JSON.stringify(POSTCO), acceptedKeyFormats: [DEFAULT] });
    expect(settings).toMatchObject({ keyPrefix: 'sk', keyFormat: POSTCO, acceptedKeyFormats: [DEFAULT] });
    expect(keyFormatsOf(settings)).toEqual([POSTCO, DEFAULT]);
    expect(resolveSettings({ keyFormat: { ...POSTCO, prefix: 'pk' } }).keyPrefix).toBe('pk');
  });

  it('refuse a format that is not valid, naming the setting and the field', () => {
    const label = (field: string) => `keygate:${field}`;
    const refused = (input: Record<string, unknown>) => () => resolveSettings(input, label);
    expect(refused({ keyFormat: '{"prefix":"SK","environment":true,"checksum":true}' })).toThrow(
      /keygate:keyFormat: .*prefix/,
    );
    expect(refused({ keyFormat: '{"prefix":"sk"' })).toThrow(/keygate:keyFormat must be JSON/);
    expect(refused({ keyFormat: { prefix: 'sk', environment: 1, checksum: true } })).toThrow(/environment/);
    expect(refused({ keyFormat: POSTCO, keyPrefix: 'acme' })).toThrow(/keygate:keyPrefix .*keygate:keyFormat/);
    expect(refused({ acceptedKeyFormats: DEFAULT })).toThrow(/keygate:acceptedKeyFormats must be a list/);
    expect(refused({ acceptedKeyFormats: [DEFAULT, { ...DEFAULT, checksum: 'no' }] })).toThrow(
      /keygate:acceptedKeyFormats\[1\]: checksum/,
    );
    expect(refused({ acceptedKeyFormats: [POSTCO, POSTCO] })).toThrow(/keygate:acceptedKeyFormats\[1\] .*twice/);
    expect(
      refused({ acceptedKeyFormats: Array.from({ length: 5 }, (_, i) => ({ ...POSTCO, prefix: `k${i}` })) }),
    ).toThrow(/at most 4/);
    expect(refused({ keyFormat: POSTCO })).not.toThrow();
    expect(refused({ keyFormat: [POSTCO] })).toThrow(SettingsError);
    // the current format is accepted anyway: listing it changes nothing.
    expect(resolveSettings({ keyFormat: POSTCO, acceptedKeyFormats: [POSTCO] }).acceptedKeyFormats).toBeUndefined();
  });

  it('are read locally from KEYGATE_KEY_FORMAT and KEYGATE_ACCEPTED_KEY_FORMATS', () => {
    const settings = localSettings(
      { KEYGATE_KEY_FORMAT: JSON.stringify(POSTCO), KEYGATE_ACCEPTED_KEY_FORMATS: JSON.stringify([DEFAULT]) },
      `${__dirname}/../../cdk.json`,
    );
    expect(settings).toMatchObject({ keyFormat: POSTCO, acceptedKeyFormats: [DEFAULT] });
    expect(() => localSettings({ KEYGATE_KEY_FORMAT: '{"prefix":"sk"}' }, `${__dirname}/../../cdk.json`)).toThrow(
      /KEYGATE_KEY_FORMAT/,
    );
  });
});

describe('the identity-validation expression', () => {
  it('follows keygate:keyFormat and keygate:acceptedKeyFormats, and the functions get the formats', () => {
    const app = testApp({
      'keygate:keyFormat': JSON.stringify(POSTCO),
      'keygate:acceptedKeyFormats': JSON.stringify([DEFAULT]),
    });
    const stack = new KeygateStack(app, 'Formats', { settings: settingsFromContext(app.node) });
    const template = Template.fromStack(stack);
    const expression = tokenValidationPatternFor([POSTCO, DEFAULT], true);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', { IdentityValidationExpression: expression });
    expect(new RegExp(expression).test(`Bearer sk_${'a'.repeat(64)}`)).toBe(true);
    const functions = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: { Environment?: { Variables?: Record<string, unknown> } };
    }[];
    const formats = functions
      .map((fn) => fn.Properties.Environment?.Variables?.KEY_FORMATS)
      .filter((value) => value !== undefined);
    // the authorizer and every function that mints or reads keys: new keys in the first format.
    expect(formats.length).toBeGreaterThanOrEqual(2);
    for (const value of formats) expect(JSON.parse(value as string)).toEqual([POSTCO, DEFAULT]);
    // what the admin commands that mint a key outside the API (the first operator key, a recovery) read.
    template.hasOutput('KeyFormat', { Value: JSON.stringify(POSTCO) });
  });
});
