import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { GatewayRoute, ProxyHandler } from './gateway';

/** Where `npm run openapi` commits the document. */
export const OPENAPI_DOCUMENT = join(__dirname, '..', 'openapi.json');

/**
 * `GET /openapi.json`, the API's OpenAPI document: no key needed, as for any public API
 * description. The local gateway serves it; the deployed API does not (it is in the repository).
 */
export const OPENAPI_ROUTE: GatewayRoute = { method: 'GET', path: '/openapi.json', function: 'openapi', auth: 'none' };

/** Answers the committed document as it is on disk, read once when the gateway starts. */
export function openApiHandler(path = OPENAPI_DOCUMENT): ProxyHandler {
  const body = readFileSync(path, 'utf8');
  return async () => ({
    statusCode: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-cache' },
    body,
  });
}
