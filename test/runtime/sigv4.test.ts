import fc from 'fast-check';
import { AwsV4Signer } from 'aws4fetch';
import { SigV4Signer, type AwsCredentials } from '../../lambdas/runtime/sigv4';
import { instant } from '../support/time';

/**
 * The authorizer signs its DynamoDB requests with a small SigV4 signer on node:crypto (WebCrypto's
 * first use costs a tenth of its cold start). It must compute exactly what aws4fetch,
 * the well-kept signer it replaces, computes for the same request: the same headers, byte for byte.
 */
const amzDate = (now: Date): string => now.toISOString().replace(/[:-]|\.\d{3}/g, '');

async function aws4fetchHeaders(
  credentials: AwsCredentials,
  region: string,
  service: string,
  url: string,
  headers: Record<string, string>,
  body: string,
  now: Date,
) {
  const signer = new AwsV4Signer({
    method: 'POST',
    url,
    headers,
    body,
    ...credentials,
    service,
    region,
    datetime: amzDate(now),
  });
  const signed = await signer.sign();
  return Object.fromEntries(signed.headers.entries());
}

const credentials = fc.record(
  {
    accessKeyId: fc.stringMatching(/^[A-Z0-9]{16,20}$/),
    secretAccessKey: fc.string({ minLength: 1, maxLength: 40 }),
    sessionToken: fc.stringMatching(/^[A-Za-z0-9+/=]{1,300}$/),
  },
  { requiredKeys: ['accessKeyId', 'secretAccessKey'] },
);

describe('SigV4Signer', () => {
  it('signs every DynamoDB request as aws4fetch does, header for header', async () => {
    await fc.assert(
      fc.asyncProperty(
        credentials,
        fc.constantFrom('us-east-1', 'eu-west-1', 'ap-southeast-2', 'local'),
        fc.constantFrom(
          'https://dynamodb.us-east-1.amazonaws.com',
          'http://127.0.0.1:8000',
          'http://localhost:48123',
          'https://dynamodb.eu-west-1.amazonaws.com:443',
        ),
        fc.constantFrom('GetItem', 'UpdateItem', 'Query'),
        fc.oneof(fc.string(), fc.string({ unit: 'grapheme-composite' }), fc.json()),
        fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true }),
        async (creds, region, endpoint, action, body, now) => {
          const headers = {
            'content-type': 'application/x-amz-json-1.0',
            'x-amz-target': `DynamoDB_20120810.${action}`,
          };
          const expected = await aws4fetchHeaders(creds, region, 'dynamodb', endpoint, headers, body, now);
          // content-type travels unsigned, as aws4fetch has it: it is not passed to the signer.
          const { 'content-type': contentType, ...toSign } = headers;
          const ours: Record<string, string> = {
            'content-type': contentType,
            ...new SigV4Signer(creds, region, 'dynamodb').sign('POST', new URL(endpoint).host, toSign, body, now),
          };
          // aws4fetch leaves host to fetch; the signature covers it all the same.
          const { host, ...sent } = ours;
          expect(host).toBe(new URL(endpoint).host);
          expect(sent).toEqual(expected);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps one signing key per day and still signs each day with its own', async () => {
    const creds = {
      accessKeyId: 'AKIDEXAMPLE',
      secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      sessionToken: 'token',
    };
    const signer = new SigV4Signer(creds, 'us-east-1', 'dynamodb');
    const headers = { 'x-amz-target': 'DynamoDB_20120810.GetItem' };
    for (const at of [instant(0, '23:59:59.999'), instant(1), instant(0, '10:00'), instant(98)]) {
      const now = new Date(at);
      const expected = await aws4fetchHeaders(
        creds,
        'us-east-1',
        'dynamodb',
        'https://dynamodb.us-east-1.amazonaws.com',
        headers,
        '{}',
        now,
      );
      expect(signer.sign('POST', 'dynamodb.us-east-1.amazonaws.com', headers, '{}', now).authorization).toBe(
        expected.authorization,
      );
    }
  });

  it("matches AWS's published SigV4 test vector (post-vanilla)", () => {
    // aws-sig-v4-test-suite/post-vanilla: POST / to example.amazonaws.com, no body, no token.
    const signer = new SigV4Signer(
      { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
      'us-east-1',
      'service',
    );
    expect(signer.sign('POST', 'example.amazonaws.com', {}, '', new Date('2015-08-30T12:36:00Z')).authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, ' +
        'Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b',
    );
  });
});
