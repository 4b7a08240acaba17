/**
 * A what-if for the cold start, measured by the benchmark and not deployed: the authorizer's
 * `SignedKeyReader` with `node:http(s)` and `node:crypto` in place of `fetch` and WebCrypto
 * (aws4fetch). Node loads its `fetch` (undici) and WebCrypto lazily, on the first call, and that
 * first load is most of what the authorizer's cold start costs over an empty handler.
 */
import { createHash, createHmac } from 'node:crypto';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { marshall, unmarshall, type NativeAttributeValue } from '@aws-sdk/util-dynamodb';
import { fromKeyItem, keyItemKey, lastUsedUpdate } from '../../lambdas/core/store/key-item';
import type { KeyItem } from '../../lambdas/core/model';
import type { KeyStore } from '../../lambdas/core/store/store';
import type { SignedKeyReaderProps } from '../../lambdas/runtime/signed-key-reader';

const sha256 = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, text: string): Buffer => createHmac('sha256', key).update(text, 'utf8').digest();

/** SigV4 headers for a DynamoDB JSON request (the same signature aws4fetch computes). */
export function signedHeaders(props: SignedKeyReaderProps, host: string, target: string, body: string, now: Date): Record<string, string> {
  const amzDate = now.toISOString().replace(/[:-]|\.\d{3}/g, '');
  const day = amzDate.slice(0, 8);
  // signed as aws4fetch signs them: content-type travels unsigned.
  const headers: Record<string, string> = {
    host,
    'x-amz-date': amzDate,
    ...(props.sessionToken === undefined ? {} : { 'x-amz-security-token': props.sessionToken }),
    'x-amz-target': target,
  };
  const names = Object.keys(headers).sort();
  const canonical = ['POST', '/', '', ...names.map((name) => `${name}:${headers[name]}`), '', names.join(';'), sha256(body)].join('\n');
  const scope = `${day}/${props.region}/dynamodb/aws4_request`;
  const key = hmac(hmac(hmac(hmac(`AWS4${props.secretAccessKey}`, day), props.region), 'dynamodb'), 'aws4_request');
  const signature = createHmac('sha256', key).update(['AWS4-HMAC-SHA256', amzDate, scope, sha256(canonical)].join('\n'), 'utf8').digest('hex');
  return {
    ...headers,
    'content-type': 'application/x-amz-json-1.0',
    authorization: `AWS4-HMAC-SHA256 Credential=${props.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`,
  };
}

export class NodeHttpKeyReader implements Pick<KeyStore, 'getKey' | 'touchLastUsed'> {
  private readonly url: URL;
  private readonly agent: HttpAgent;

  constructor(private readonly props: SignedKeyReaderProps) {
    this.url = new URL(props.endpoint ?? `https://dynamodb.${props.region}.amazonaws.com`);
    this.agent = this.url.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
  }

  async getKey(id: string): Promise<KeyItem | undefined> {
    const out = (await this.call('GetItem', { TableName: this.props.tableName, Key: marshall(keyItemKey(id)), ConsistentRead: true })) as {
      Item?: Parameters<typeof unmarshall>[0];
    };
    return out.Item === undefined ? undefined : fromKeyItem(unmarshall(out.Item) as Record<string, NativeAttributeValue>);
  }

  async touchLastUsed(id: string, at: Date, minIntervalMs: number): Promise<boolean> {
    const update = lastUsedUpdate(at, minIntervalMs, id);
    try {
      await this.call('UpdateItem', {
        TableName: this.props.tableName,
        Key: marshall(keyItemKey(id)),
        UpdateExpression: update.UpdateExpression,
        ConditionExpression: update.ConditionExpression,
        ExpressionAttributeValues: marshall(update.ExpressionAttributeValues),
      });
      return true;
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  private call(action: string, payload: unknown): Promise<unknown> {
    const body = JSON.stringify(payload);
    const headers = signedHeaders(this.props, this.url.host, `DynamoDB_20120810.${action}`, body, new Date());
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(this.url, { method: 'POST', headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>;
          if ((res.statusCode ?? 500) >= 300) reject(new Error(`${String(json.__type ?? 'UnknownError').split('#').pop()}: ${String(json.message ?? json.Message ?? '')}`));
          else resolve(json);
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }
}
