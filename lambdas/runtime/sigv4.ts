import { createHmac, hash } from 'node:crypto';

/** AWS credentials as Lambda puts them in the environment (session credentials carry a token). */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

/**
 * AWS Signature Version 4 for requests to the root path of a regional endpoint (a JSON-protocol
 * service such as DynamoDB), on `node:crypto`. aws4fetch signs over WebCrypto, whose first use
 * costs a fresh process about 12 ms of CPU against about 2 ms here: the authorizer signs on its
 * cold path. It computes what aws4fetch's `AwsV4Signer` computes for the same request, byte for
 * byte (test/runtime/sigv4.test.ts holds it to that and to AWS's own test vector); it does not
 * do paths, query strings, presigning or S3's payload rules.
 */
export class SigV4Signer {
  /** The signing key of one day (it depends only on the day): four HMACs saved per request. */
  private signingKey: { readonly day: string; readonly key: Buffer } | undefined;

  constructor(
    private readonly credentials: AwsCredentials,
    private readonly region: string,
    private readonly service: string,
  ) {}

  /**
   * The headers to send for a request: `headers` (names in lowercase; every one is signed),
   * `host`, `x-amz-date`, `x-amz-security-token` when there is a session token, and
   * `authorization`. Header values are signed as given, runs of whitespace folded to one space.
   */
  sign(
    method: string,
    host: string,
    headers: Readonly<Record<string, string>>,
    body: string,
    now: Date,
  ): Record<string, string> {
    const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, '');
    const day = amzDate.slice(0, 8);
    const signed: Record<string, string> = { ...headers, host, 'x-amz-date': amzDate };
    if (this.credentials.sessionToken !== undefined) signed['x-amz-security-token'] = this.credentials.sessionToken;
    const names = Object.keys(signed).sort();
    const signedHeaders = names.join(';');
    const canonicalHeaders = names.map((name) => `${name}:${signed[name].replace(/\s+/g, ' ')}\n`).join('');
    const canonicalRequest = `${method}\n/\n\n${canonicalHeaders}\n${signedHeaders}\n${sha256Hex(body)}`;
    const scope = `${day}/${this.region}/${this.service}/aws4_request`;
    const stringToSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.keyFor(day)).update(stringToSign, 'utf8').digest('hex');
    signed.authorization = `AWS4-HMAC-SHA256 Credential=${this.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
    return signed;
  }

  private keyFor(day: string): Buffer {
    if (this.signingKey?.day !== day) {
      const dateKey = hmac(`AWS4${this.credentials.secretAccessKey}`, day);
      this.signingKey = { day, key: hmac(hmac(hmac(dateKey, this.region), this.service), 'aws4_request') };
    }
    return this.signingKey.key;
  }
}

const sha256Hex = (text: string): string => hash('sha256', text, 'hex');
const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();
