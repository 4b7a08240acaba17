/**
 * keygate's typed HTTP client: `import { Keygate } from 'keygate/client'`. No runtime
 * dependency beyond the global `fetch`.
 */
export { Keygate, type KeygateOptions } from './keygate';
export { KeygateConnectionError, KeygateError, KeygateReplayError, type ClientErrorCode } from './errors';
export { Keys } from './keys';
export { PanelEvents, PanelUsage, TenantKeys, TenantSessions, Tenants, type Panel } from './panel';
export { DEFAULT_RETRY, type RetrySettings } from './retry';
export type { CreateOptions, FetchLike, RequestOptions } from './transport';
export type * from './types';
