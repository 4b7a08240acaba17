import {
  Agent as HttpAgent,
  request as httpRequest,
  type ClientRequest,
  type IncomingMessage,
  type RequestOptions,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { SigV4Signer, type AwsCredentials } from './sigv4';

/** Where and as whom a {@link DynamoDbHttp} calls DynamoDB. */
export interface DynamoDbHttpProps extends AwsCredentials {
  readonly region: string;
  /**
   * The DNS suffix of the region's partition: `amazonaws.com`, or `amazonaws.com.cn` in China
   * (the stack passes its `AWS::URLSuffix`).
   *
   * @default 'amazonaws.com'
   */
  readonly dnsSuffix?: string;
  /**
   * `https://` in AWS; `http://` only for DynamoDB Local. No path: DynamoDB's API is at `/`.
   *
   * @default - `https://dynamodb.<region>.<dnsSuffix>`
   */
  readonly endpoint?: string;
}

/** A DynamoDB error answer: `__type` ends with the exception's name. */
export class DynamoDbError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status: number,
  ) {
    super(`${type}: ${message}`);
    this.name = type;
  }
}

/**
 * DynamoDB's JSON protocol over `node:https` (`node:http` for DynamoDB Local), SigV4-signed on
 * `node:crypto`, on one keep-alive connection. Not `fetch`: Node loads its `fetch` (undici) on
 * first use, about 50 ms of CPU in a fresh process against about 7 ms for a first `node:http`
 * request, and the authorizer's first call is on a request's path.
 *
 * No retries of its own (the authorizer fails closed, and API Gateway's clients retry), except
 * one: a request sent on a kept-alive connection that the server had already closed (DynamoDB
 * closes idle ones; a frozen Lambda cannot notice) fails before any answer, and is sent once
 * more on a new connection, as Node's documentation advises (`request.reusedSocket`).
 */
export class DynamoDbHttp {
  /** Where requests go: the regional HTTPS endpoint unless told otherwise. */
  readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly send: (options: RequestOptions, answer: (response: IncomingMessage) => void) => ClientRequest;
  private readonly signer: SigV4Signer;

  constructor(props: DynamoDbHttpProps) {
    this.url = new URL(props.endpoint ?? `https://dynamodb.${props.region}.${props.dnsSuffix ?? 'amazonaws.com'}`);
    if (this.url.protocol !== 'https:' && this.url.protocol !== 'http:')
      throw new Error(`DynamoDB endpoint must be http(s), received ${this.url.protocol}`);
    if (this.url.pathname !== '/' || this.url.search !== '')
      throw new Error(`DynamoDB endpoint must have no path or query, received ${JSON.stringify(this.url.href)}`);
    const https = this.url.protocol === 'https:';
    this.agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.send = https ? httpsRequest : httpRequest;
    this.signer = new SigV4Signer(props, props.region, 'dynamodb');
  }

  /**
   * Calls one DynamoDB action (`GetItem`, …) with its JSON input.
   *
   * @returns the JSON output.
   * @throws DynamoDbError for DynamoDB's error answers; the transport's error when there is none.
   */
  async call(action: string, input: unknown): Promise<Record<string, unknown>> {
    const body = JSON.stringify(input);
    try {
      return await this.once(action, body);
    } catch (error) {
      if (!(error instanceof StaleConnection)) throw error;
      return this.once(action, body);
    }
  }

  private once(action: string, body: string): Promise<Record<string, unknown>> {
    const headers = this.signer.sign(
      'POST',
      this.url.host,
      { 'x-amz-target': `DynamoDB_20120810.${action}` },
      body,
      new Date(),
    );
    headers['content-type'] = 'application/x-amz-json-1.0';
    headers['content-length'] = String(Buffer.byteLength(body, 'utf8'));
    return new Promise((resolve, reject) => {
      const request = this.send(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          path: '/',
          method: 'POST',
          headers,
          agent: this.agent,
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          // also a connection closed in the middle of an answer: Node reports it here ('aborted').
          response.on('error', reject);
          response.on('end', () => {
            try {
              resolve(answer(response.statusCode ?? 0, response.statusMessage ?? '', text));
            } catch (error) {
              reject(error);
            }
          });
        },
      );
      request.on('error', (error: NodeJS.ErrnoException) => {
        // only when nothing came back on a reused connection: then the request never reached DynamoDB's API.
        reject(
          request.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE')
            ? new StaleConnection(error)
            : error,
        );
      });
      request.end(body);
    });
  }
}

/** A request that met a kept-alive connection already closed by the server. */
class StaleConnection extends Error {
  constructor(readonly cause: Error) {
    super(cause.message);
  }
}

function answer(status: number, statusText: string, text: string): Record<string, unknown> {
  const json = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
  if (status < 200 || status >= 300) {
    const type = String(json.__type ?? 'UnknownError')
      .split('#')
      .pop() as string;
    throw new DynamoDbError(type, String(json.message ?? json.Message ?? statusText), status);
  }
  return json;
}
