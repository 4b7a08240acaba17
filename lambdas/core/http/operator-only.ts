import type { AuthorizerContext } from '../model';
import { forbidden } from './errors';

/**
 * Refuses anything but a live `operator` key (403). The authorizer's policy already denies
 * `/v1/panel/*` to other keys; this is the second lock, for handlers outside the panel Lambda.
 */
export function assertLiveOperator(caller: AuthorizerContext): void {
  if (caller.role !== 'operator') throw forbidden('only operator keys may use the panel');
  if (caller.environment !== 'live') throw forbidden('only live operator keys may use the panel; this is a test key');
}
