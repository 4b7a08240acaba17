/**
 * A reference for the benchmark, not deployed: the alternative transport for the authorizer's
 * reader, SigV4 over `fetch` with aws4fetch, under the same `SignedKeyReader`.
 * Node loads `fetch` (undici) and WebCrypto on first use, which cost it about 60 ms of CPU on the
 * first call; `lambdas/runtime/dynamodb-http.ts` avoids it. Kept to measure both in one run.
 */
import { AwsClient } from 'aws4fetch';
import { DynamoDbError, type DynamoDbHttp } from '../../lambdas/runtime/dynamodb-http';
import type { SignedKeyReaderProps } from '../../lambdas/runtime/signed-key-reader';

/** The former transport: aws4fetch's signed `fetch`, no retries, DynamoDB's errors by type. */
export function aws4fetchTransport(props: SignedKeyReaderProps): Pick<DynamoDbHttp, 'call'> {
  const client = new AwsClient({
    accessKeyId: props.accessKeyId,
    secretAccessKey: props.secretAccessKey,
    ...(props.sessionToken === undefined ? {} : { sessionToken: props.sessionToken }),
    service: 'dynamodb',
    region: props.region,
    retries: 0,
  });
  const endpoint = props.endpoint ?? `https://dynamodb.${props.region}.amazonaws.com`;
  return {
    async call(action: string, input: unknown): Promise<Record<string, unknown>> {
      const response = await client.fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${action}` },
        body: JSON.stringify(input),
      });
      const text = await response.text();
      const json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
      if (!response.ok) {
        const type = String(json.__type ?? 'UnknownError')
          .split('#')
          .pop() as string;
        throw new DynamoDbError(type, String(json.message ?? json.Message ?? response.statusText), response.status);
      }
      return json;
    },
  };
}
