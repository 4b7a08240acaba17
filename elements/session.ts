/** What `keygate-session-expired` carries: the host answers with a fresh token. */
export interface SessionExpiredDetail {
  /** Hands the component a fresh session token (or a promise of one); it retries the call once. */
  renew(token: string | Promise<string>): void;
}

/**
 * Holds a session token in memory (never storage, a cookie or the URL) and, when keygate
 * answers 401, asks the host page for a fresh one with a `keygate-session-expired` event:
 * once, however many calls were refused meanwhile.
 */
export class SessionKeeper {
  #token: string | undefined;
  #renewal: Promise<string | undefined> | undefined;
  #wake: ((token: string) => void) | undefined;

  /**
   * @param host - the element the event is fired on (it bubbles and leaves the shadow root).
   * @param waiting - told when a renewal starts and ends, to say so on the page.
   */
  constructor(
    private readonly host: HTMLElement,
    private readonly waiting: (waiting: boolean) => void,
  ) {}

  /** The token, for the `Authorization` header. */
  token(): string | undefined {
    return this.#token;
  }

  /** Takes a token from the host; `true` when it answered a pending renewal. */
  set(token: string): boolean {
    this.#token = token;
    if (this.#wake === undefined) return false;
    this.#wake(token);
    return true;
  }

  /** Asks the host for a fresh token; `undefined` when its promise fails. */
  renew(): Promise<string | undefined> {
    this.#renewal ??= new Promise<string | undefined>((resolve) => {
      this.waiting(true);
      this.#wake = resolve;
      const detail: SessionExpiredDetail = {
        renew: (token) =>
          void Promise.resolve(token).then(
            (fresh) => {
              this.#token = fresh;
              resolve(fresh);
            },
            () => resolve(undefined),
          ),
      };
      this.host.dispatchEvent(new CustomEvent('keygate-session-expired', { bubbles: true, composed: true, detail }));
    }).finally(() => {
      this.#renewal = undefined;
      this.#wake = undefined;
      this.waiting(false);
    });
    return this.#renewal;
  }
}
