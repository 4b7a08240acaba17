import type { KeyRouteDeps } from '../http/key-routes';
import { SessionService } from './session-service';
import type { SessionStore } from './store';

/** Where no session store is wired (a table of routes built for its keys alone): every use fails loudly. */
const UNWIRED: SessionStore = {
  getSession: () => Promise.reject(new Error('no session store is wired')),
  getSessionTenant: () => Promise.reject(new Error('no session store is wired')),
  createSession: () => Promise.reject(new Error('no session store is wired')),
  deleteSession: () => Promise.reject(new Error('no session store is wired')),
};

/** The session service over the key routes' dependencies. */
export function sessionServiceOf(deps: KeyRouteDeps): SessionService {
  return new SessionService({
    sessions: deps.sessions ?? UNWIRED,
    tenants: deps.store,
    ...(deps.usage === undefined ? {} : { usage: deps.usage }),
    cache: deps.cache,
    clock: deps.clock,
    logger: deps.logger,
  });
}
