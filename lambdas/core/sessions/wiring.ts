import type { KeyRouteDeps } from '../http/key-routes';
import { SessionService } from './session-service';
import { SignInLinks } from './sign-in-links';
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

/**
 * The sign-in links over the key routes' dependencies, built when first used: where no code
 * store is wired, their routes fail loudly (500) instead of at start.
 */
export function signInLinksOf(deps: KeyRouteDeps): () => SignInLinks {
  let links: SignInLinks | undefined;
  return () => {
    if (deps.signInCodes === undefined) throw new Error('no sign-in code store is wired');
    links ??= new SignInLinks({
      codes: deps.signInCodes,
      tenants: deps.store,
      keys: deps.store,
      ...(deps.usage === undefined ? {} : { usage: deps.usage }),
      clock: deps.clock,
    });
    return links;
  };
}
