/**
 * The floor of a cold start for any authorizer that reads DynamoDB over HTTP in Node: what Node
 * itself spends to load `node:https` (and with it `node:http`, `net`, streams) and `node:crypto`,
 * make one keep-alive POST to the endpoint and read its JSON answer, plus one HMAC-SHA256 (SigV4
 * needs several). No keygate code: the authorizer's cold start over this is keygate's own cost.
 * The request is unsigned; DynamoDB Local answers it (with an error), which is all the floor needs.
 */
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';
import 'node:https';

const agent = new Agent({ keepAlive: true });
const endpoint = process.env.DYNAMODB_ENDPOINT ?? 'http://127.0.0.1:8000';

export const handler = (): Promise<Record<string, unknown>> =>
  new Promise((resolve, reject) => {
    const signature = createHmac('sha256', 'floor').update(endpoint).digest('hex');
    const body = JSON.stringify({ TableName: signature.slice(0, 8) });
    const outgoing = request(
      endpoint,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.GetItem',
          'content-length': Buffer.byteLength(body),
        },
      },
      (answer) => {
        let text = '';
        answer.setEncoding('utf8');
        answer.on('data', (chunk: string) => (text += chunk));
        answer.on('end', () => resolve(JSON.parse(text) as Record<string, unknown>));
        answer.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });
