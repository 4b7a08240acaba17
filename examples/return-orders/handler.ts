import { randomBytes } from 'node:crypto';
import { DeleteCommand, GetCommand, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import type { Clock } from '../../lambdas/core/support/clock';
import { ApiError, invalidRequest, notFound } from '../../lambdas/core/http/errors';
import type { Logger } from '../../lambdas/core/support/logger';
import { keygateHandler, type KeygateContext } from '../../lambdas/runtime/route-context';

/** A return order: a customer sending back what they bought. */
export interface ReturnOrder {
  readonly id: string;
  readonly orderId: string;
  readonly reason: string;
  readonly status: 'requested';
  readonly environment: KeygateContext['environment'];
  readonly createdAt: string;
}

/** What the return-orders handler needs; passed in so the Lambda and the local gateway share it. */
export interface ReturnOrdersDeps {
  readonly client: DynamoDBDocumentClient;
  /** The table the returns live in (here keygate's key table, under a partition of their own). */
  readonly tableName: string;
  readonly clock: Clock;
  readonly logger?: Logger;
}

/**
 * The partition of one tenant's returns in one environment. The tenant and environment come
 * from the keygate context only, never from the request: a test key reads test returns, and
 * another tenant's id is simply not in the partition (404, like a missing one).
 */
function partition(caller: KeygateContext): string {
  return `RETURN#${caller.tenantId}#${caller.environment}`;
}

const JSON_HEADERS = { 'content-type': 'application/json; charset=utf-8' };
const ID = /^ret_[0-9a-f]{16}$/;

/** The return-orders API: `POST /v1/returns`, `GET /v1/returns/{id}`, `DELETE /v1/returns/{id}`. */
export function createReturnOrdersHandler(deps: ReturnOrdersDeps) {
  return keygateHandler(async (event: APIGatewayProxyEvent, caller: KeygateContext): Promise<APIGatewayProxyResult> => {
    const route = `${event.httpMethod} ${event.resource}`;
    if (route === 'POST /v1/returns') return create(deps, caller, event);
    const id = event.pathParameters?.id ?? '';
    if (!ID.test(id)) throw notFound('return');
    const Key = { pk: partition(caller), sk: id };
    if (route === 'GET /v1/returns/{id}') {
      const { Item } = await deps.client.send(new GetCommand({ TableName: deps.tableName, Key, ConsistentRead: true }));
      if (Item === undefined) throw notFound('return');
      return { statusCode: 200, headers: JSON_HEADERS, body: JSON.stringify(Item.order) };
    }
    if (route === 'DELETE /v1/returns/{id}') {
      const { Attributes } = await deps.client.send(
        new DeleteCommand({ TableName: deps.tableName, Key, ReturnValues: 'ALL_OLD' }),
      );
      if (Attributes === undefined) throw notFound('return');
      return { statusCode: 204, headers: {}, body: '' };
    }
    throw new ApiError('not_found', 'no such route');
  }, deps.logger);
}

async function create(
  deps: ReturnOrdersDeps,
  caller: KeygateContext,
  event: APIGatewayProxyEvent,
): Promise<APIGatewayProxyResult> {
  let input: unknown;
  try {
    const text =
      event.body === null
        ? ''
        : event.isBase64Encoded
          ? Buffer.from(event.body, 'base64').toString('utf8')
          : event.body;
    input = JSON.parse(text);
  } catch {
    throw invalidRequest('the body must be JSON: {"orderId": "...", "reason": "..."}');
  }
  const { orderId, reason } = (input ?? {}) as Record<string, unknown>;
  if (typeof orderId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(orderId))
    throw invalidRequest('orderId must be 1–64 letters, digits, _ or -');
  if (typeof reason !== 'string' || reason.length < 1 || reason.length > 200)
    throw invalidRequest('reason must be 1–200 characters');
  const order: ReturnOrder = {
    id: `ret_${randomBytes(8).toString('hex')}`,
    orderId,
    reason,
    status: 'requested',
    environment: caller.environment,
    createdAt: deps.clock().toISOString(),
  };
  await deps.client.send(
    new PutCommand({
      TableName: deps.tableName,
      Item: { pk: partition(caller), sk: order.id, order },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
  return { statusCode: 201, headers: JSON_HEADERS, body: JSON.stringify(order) };
}
