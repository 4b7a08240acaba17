import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { KeygateApi, type Environment, type Key, type KeyActivity, type Member, type Role } from './api';
import { SessionKeeper } from './session';
import { styles } from './styles';
import { keyTable, toolbar } from './list-view';
import { DialogFlow, messageOf } from './dialog-flow';

const RANK: Record<Role, number> = { read_only: 1, developer: 2, admin: 3, owner: 4, operator: 5 };
const OFFERED: readonly Role[] = ['owner', 'admin', 'developer', 'read_only'];

/**
 * `<keygate-api-keys base-url="…">`: a tenant's API keys page for one signed-in member, over
 * keygate's tenant routes; with `tenant-id`, the same page for an operator acting for that
 * tenant, over the panel's key routes. The session token is set through the `session` attribute
 * or property; it is held in memory only (the attribute is removed as soon as it is read, and
 * the property never reads back). When a call answers 401 it fires `keygate-session-expired`
 * (bubbling, composed) with {@link SessionExpiredDetail}, and retries once with the new token.
 */
export class KeygateApiKeys extends LitElement {
  static override styles = styles;
  static override properties = {
    baseUrl: { attribute: 'base-url' },
    memberRole: { attribute: 'member-role' },
    tenantId: { attribute: 'tenant-id' },
    member: { state: true },
    keys: { state: true },
    environment: { state: true },
    search: { state: true },
    cursors: { state: true },
    next: { state: true },
    error: { state: true },
    notice: { state: true },
    waitingForSession: { state: true },
    openEvents: { state: true },
  };

  /** keygate's base URL. @default - this page's origin */
  declare baseUrl: string | null;
  /**
   * `member-role`: the role the host's backend minted the session with, so the page offers only
   * what it allows (keygate enforces it regardless). Without it the credential is taken for a
   * key, whose role `/v1/me` tells; a credential `/v1/me` refuses gets no control that changes keys.
   */
  declare memberRole: Role | null;
  /**
   * `tenant-id`: operator mode. The session is an operator's (the console's sign-in), acting for
   * this tenant through `/v1/panel/tenants/{tenantId}/keys…` with every role up to owner and
   * both environments. A key's own events are not offered there: the panel lists them per tenant.
   */
  declare tenantId: string | null;
  declare private member: Member | undefined;
  declare private keys: readonly Key[];
  declare private environment: Environment;
  declare private search: string;
  /** The cursor of each page shown so far; the last is the current page's. */
  declare private cursors: readonly (string | undefined)[];
  declare private next: string | undefined;
  declare private error: string | undefined;
  declare private notice: string;
  declare private waitingForSession: boolean;
  declare private openEvents: ReadonlyMap<string, KeyActivity | 'loading'>;

  readonly #session = new SessionKeeper(this, (waiting) => (this.waitingForSession = waiting));
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #api = new KeygateApi({
    baseUrl: () => this.baseUrl ?? '',
    token: () => this.#session.token(),
    renew: () => this.#session.renew(),
    tenantId: () => this.tenantId ?? undefined,
  });
  readonly #dialogs = new DialogFlow(this, {
    api: this.#api,
    environment: () => this.environment,
    roles: () => OFFERED.filter((role) => RANK[role] <= RANK[this.member?.role ?? 'read_only']),
    reload: () => void this.#load(),
    act: (work, done) => void this.#act(work, done),
  });

  constructor() {
    super();
    this.baseUrl = null;
    this.memberRole = null;
    this.tenantId = null;
    this.keys = [];
    this.environment = 'live';
    this.search = '';
    this.cursors = [undefined];
    this.next = undefined;
    this.notice = '';
    this.waitingForSession = false;
    this.openEvents = new Map();
  }

  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, 'session'];
  }

  /** Write-only: the session token. Reading it answers `undefined`, so no script can take it back out. */
  get session(): string | undefined {
    return undefined;
  }

  set session(token: string | undefined) {
    if (token === undefined || token === '') return;
    if (!this.#session.set(token) && this.isConnected) void this.#load();
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    if (name !== 'session') return super.attributeChangedCallback(name, old, value);
    if (value === null) return;
    // the token stays out of the DOM, where any script or a saved page could read it.
    this.removeAttribute('session');
    this.session = value;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.#session.token() !== undefined) void this.#load();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#searchTimer);
  }

  protected override willUpdate(changed: PropertyValues): void {
    // another tenant: nothing of the last one is kept.
    if (!changed.has('tenantId') || changed.get('tenantId') === undefined) return;
    this.member = undefined;
    this.keys = [];
    this.cursors = [undefined];
    this.openEvents = new Map();
    if (this.#session.token() !== undefined) void this.#load();
  }

  async #load(): Promise<void> {
    try {
      if (this.member === undefined) {
        this.member = await this.#api.member(
          this.memberRole !== null && Object.hasOwn(RANK, this.memberRole) ? this.memberRole : undefined,
        );
        this.environment = this.member.environment;
      }
      const page = await this.#api.keys({ cursor: this.cursors[this.cursors.length - 1], name: this.search.trim() });
      this.keys = page.items;
      this.next = page.cursor;
      this.error = undefined;
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  async #act(work: () => Promise<unknown>, done: string): Promise<void> {
    try {
      await work();
      this.notice = done;
      this.error = undefined;
      await this.#load();
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  #onSearch = (event: InputEvent): void => {
    this.search = (event.target as HTMLInputElement).value;
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => {
      this.cursors = [undefined];
      void this.#load();
    }, 250);
  };

  async #toggleEvents(key: Key): Promise<void> {
    const open = new Map(this.openEvents);
    if (open.delete(key.id)) return void (this.openEvents = open);
    this.openEvents = open.set(key.id, 'loading');
    try {
      const [page, usage] = await Promise.all([this.#api.events(key.id), this.#api.usage(key.id)]);
      this.openEvents = new Map(this.openEvents).set(key.id, { events: page.items, usage });
    } catch (error) {
      this.error = messageOf(error);
    }
  }

  protected override render() {
    const member = this.member;
    const manage = member !== undefined && RANK[member.role] >= RANK.developer;
    const shown = this.keys.filter((key) => key.environment === this.environment);
    return html`<section aria-labelledby="title">
      <h2 id="title">API keys</h2>
      ${toolbar({
        environment: this.environment,
        testOnly: member?.environment === 'test' && this.tenantId === null,
        search: this.search,
        manage,
        onEnvironment: (environment) => (this.environment = environment),
        onSearch: this.#onSearch,
        onCreate: () => this.#show({ kind: 'create' }),
      })}
      ${this.waitingForSession ? html`<p role="status">Your session has expired; waiting for a new one…</p>` : nothing}
      ${this.error === undefined || this.#dialogs.open ? nothing : html`<p class="error" role="alert">${this.error}</p>`}
      <p role="status" class="muted">${this.notice}</p>
      ${keyTable(this.environment, shown, (key) => ({
        manage,
        eventsOpen: this.openEvents.has(key.id),
        events: this.openEvents.get(key.id),
        nameOf: (id) => this.keys.find((other) => other.id === id)?.name,
        onRevoke: () => this.#show({ kind: 'confirm', action: 'revoke', key }),
        onDelete: () => this.#show({ kind: 'confirm', action: 'delete', key }),
        onEnable: () => void this.#act(() => this.#api.setStatus(key.id, 'enable'), `“${key.name}” is enabled.`),
        onRotate: () => this.#show({ kind: 'rotate', key }),
        onEvents: () => void this.#toggleEvents(key),
      }))}
      <nav class="pages" aria-label="Pages">
        <button part="button" ?disabled=${this.cursors.length < 2} @click=${this.#previousPage}>Previous page</button>
        <button part="button" ?disabled=${this.next === undefined} @click=${this.#nextPage}>Next page</button>
      </nav>
      <dialog part="dialog" aria-labelledby="dialog-title" @close=${this.#dialogs.onClosed}>
        ${this.#dialogs.body()}
      </dialog>
    </section>`;
  }

  #show(dialog: Parameters<DialogFlow['show']>[0]): void {
    this.error = undefined;
    this.#dialogs.show(dialog);
  }

  #previousPage = (): void => {
    this.cursors = this.cursors.slice(0, -1);
    void this.#load();
  };

  #nextPage = (): void => {
    if (this.next === undefined) return;
    this.cursors = [...this.cursors, this.next];
    void this.#load();
  };
}

if (!customElements.get('keygate-api-keys')) customElements.define('keygate-api-keys', KeygateApiKeys);

declare global {
  interface HTMLElementTagNameMap {
    'keygate-api-keys': KeygateApiKeys;
  }
}
