import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { ApiError, KeygateApi, type Environment, type Key, type KeyActivity, type Member, type Role } from './api';
import { SessionKeeper } from './session';
import { styles } from './styles';
import { keyTable, toolbar } from './list-view';
import { confirmView, createForm, rotateForm, secretView, type DialogState } from './dialogs';

const RANK: Record<Role, number> = { read_only: 1, developer: 2, admin: 3, owner: 4, operator: 5 };
const OFFERED: readonly Role[] = ['owner', 'admin', 'developer', 'read_only'];

/**
 * `<keygate-api-keys base-url="…">`: a tenant's API keys page for one signed-in member, over
 * keygate's tenant routes. The session token is set through the `session` attribute or
 * property; it is held in memory only (the attribute is removed as soon as it is read, and the
 * property never reads back). When a call answers 401 it fires `keygate-session-expired`
 * (bubbling, composed) with {@link SessionExpiredDetail}, and retries once with the new token.
 */
export class KeygateApiKeys extends LitElement {
  static override styles = styles;
  static override properties = {
    baseUrl: { attribute: 'base-url' },
    memberRole: { attribute: 'member-role' },
    member: { state: true },
    keys: { state: true },
    environment: { state: true },
    search: { state: true },
    cursors: { state: true },
    next: { state: true },
    dialog: { state: true },
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
  declare private member: Member | undefined;
  declare private keys: readonly Key[];
  declare private environment: Environment;
  declare private search: string;
  /** The cursor of each page shown so far; the last is the current page's. */
  declare private cursors: readonly (string | undefined)[];
  declare private next: string | undefined;
  declare private dialog: DialogState | undefined;
  declare private error: string | undefined;
  declare private notice: string;
  declare private waitingForSession: boolean;
  declare private openEvents: ReadonlyMap<string, KeyActivity | 'loading'>;

  readonly #session = new SessionKeeper(this, (waiting) => (this.waitingForSession = waiting));
  #searchTimer: ReturnType<typeof setTimeout> | undefined;
  #opener: HTMLElement | undefined;
  readonly #api = new KeygateApi({
    baseUrl: () => this.baseUrl ?? '',
    token: () => this.#session.token(),
    renew: () => this.#session.renew(),
  });

  constructor() {
    super();
    this.baseUrl = null;
    this.memberRole = null;
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

  protected override updated(changed: PropertyValues): void {
    if (!changed.has('dialog')) return;
    const dialog = this.renderRoot.querySelector('dialog');
    if (dialog === null) return;
    if (this.dialog !== undefined) {
      if (!dialog.open) dialog.showModal();
      dialog.querySelector<HTMLElement>('[autofocus]')?.focus();
    } else if (dialog.open) {
      dialog.close();
    }
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

  #open(dialog: DialogState): void {
    this.#opener = (this.renderRoot as ShadowRoot).activeElement as HTMLElement | undefined;
    this.dialog = dialog;
  }

  #closeDialog = (): void => {
    // the plaintext of a new key is dropped with the dialog's state.
    this.dialog = undefined;
    this.error = undefined;
    const opener = this.#opener;
    this.#opener = undefined;
    void this.updateComplete.then(() => (opener?.isConnected ? opener : this.#createButton())?.focus());
  };

  #createButton(): HTMLElement | null {
    return this.renderRoot.querySelector<HTMLElement>('#create');
  }

  #onSearch = (event: InputEvent): void => {
    this.search = (event.target as HTMLInputElement).value;
    clearTimeout(this.#searchTimer);
    this.#searchTimer = setTimeout(() => {
      this.cursors = [undefined];
      void this.#load();
    }, 250);
  };

  #onCreate = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const expiry = String(form.get('expiry'));
    const expiresOn = String(form.get('expiresOn') ?? '');
    if (expiry === 'custom' && expiresOn === '') {
      this.renderRoot.querySelector<HTMLInputElement>('#expiresOn')?.focus();
      this.error = 'Choose the custom date the key stops working on.';
      return;
    }
    try {
      const key = await this.#api.create({
        name: String(form.get('name')),
        environment: this.environment,
        role: String(form.get('role')) as Role,
        ...(expiry === 'custom' ? { expiresOn } : expiry === 'never' ? {} : { expiresInDays: Number(expiry) }),
      });
      this.error = undefined;
      this.dialog = { kind: 'secret', key, copied: false };
    } catch (error) {
      this.error = messageOf(error);
    }
  };

  #onRotate = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    if (this.dialog?.kind !== 'rotate') return;
    const grace = Number(new FormData(event.target as HTMLFormElement).get('grace'));
    try {
      const key = await this.#api.rotate(this.dialog.key.id, grace);
      this.error = undefined;
      this.dialog = { kind: 'secret', key, copied: false };
    } catch (error) {
      this.error = messageOf(error);
    }
  };

  #onCopy = async (): Promise<void> => {
    if (this.dialog?.kind !== 'secret') return;
    const secret = this.dialog;
    try {
      await navigator.clipboard.writeText(secret.key.key);
      if (this.dialog === secret) this.dialog = { ...secret, copied: true };
    } catch {
      // no clipboard (a page served over plain http, a denied permission): select it for the member to copy.
      this.renderRoot.querySelector<HTMLInputElement>('.secret input')?.select();
      this.error = 'The clipboard is not available here: the key is selected, copy it with Ctrl+C or ⌘C.';
    }
  };

  #onSecretDone = (): void => {
    this.#closeDialog();
    void this.#load();
  };

  #onConfirm = (): void => {
    if (this.dialog?.kind !== 'confirm') return;
    const { action, key } = this.dialog;
    this.#closeDialog();
    void this.#act(
      () => (action === 'revoke' ? this.#api.setStatus(key.id, 'revoke') : this.#api.remove(key.id)),
      action === 'revoke' ? `“${key.name}” is revoked.` : `“${key.name}” is deleted.`,
    );
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
        testOnly: member?.environment === 'test',
        search: this.search,
        manage,
        onEnvironment: (environment) => (this.environment = environment),
        onSearch: this.#onSearch,
        onCreate: () => this.#open({ kind: 'create' }),
      })}
      ${this.waitingForSession ? html`<p role="status">Your session has expired; waiting for a new one…</p>` : nothing}
      ${this.error === undefined || this.dialog !== undefined ? nothing : html`<p class="error" role="alert">${this.error}</p>`}
      <p role="status" class="muted">${this.notice}</p>
      ${keyTable(this.environment, shown, (key) => ({
        manage,
        eventsOpen: this.openEvents.has(key.id),
        events: this.openEvents.get(key.id),
        nameOf: (id) => this.keys.find((other) => other.id === id)?.name,
        onRevoke: () => this.#open({ kind: 'confirm', action: 'revoke', key }),
        onDelete: () => this.#open({ kind: 'confirm', action: 'delete', key }),
        onEnable: () => void this.#act(() => this.#api.setStatus(key.id, 'enable'), `“${key.name}” is enabled.`),
        onRotate: () => this.#open({ kind: 'rotate', key }),
        onEvents: () => void this.#toggleEvents(key),
      }))}
      <nav class="pages" aria-label="Pages">
        <button part="button" ?disabled=${this.cursors.length < 2} @click=${this.#previousPage}>Previous page</button>
        <button part="button" ?disabled=${this.next === undefined} @click=${this.#nextPage}>Next page</button>
      </nav>
      <dialog part="dialog" aria-labelledby="dialog-title" @close=${this.#onDialogClosed}>${this.#dialogBody()}</dialog>
    </section>`;
  }

  #dialogBody() {
    const dialog = this.dialog;
    const member = this.member;
    if (dialog === undefined || member === undefined) return nothing;
    const error = this.error === undefined ? nothing : html`<p class="error" role="alert">${this.error}</p>`;
    return html`${this.#dialogView(dialog, member)}${error}`;
  }

  #dialogView(dialog: DialogState, member: Member) {
    switch (dialog.kind) {
      case 'create': {
        const roles = OFFERED.filter((role) => RANK[role] <= RANK[member.role]);
        const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
        return createForm(roles, this.environment, tomorrow, this.#onCreate, this.#closeDialog);
      }
      case 'secret':
        return secretView(dialog, this.#onCopy, this.#onSecretDone);
      case 'confirm':
        return confirmView(dialog, this.#onConfirm, this.#closeDialog);
      case 'rotate':
        return rotateForm(dialog, this.#onRotate, this.#closeDialog);
    }
  }

  /** Escape closes the native dialog; its state (and any plaintext) goes with it. */
  #onDialogClosed = (): void => {
    if (this.dialog === undefined) return;
    const wasSecret = this.dialog.kind === 'secret';
    this.#closeDialog();
    if (wasSecret) void this.#load();
  };

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

function messageOf(error: unknown): string {
  if (error instanceof ApiError)
    return error.status === 401 ? 'Your session has expired. Sign in again.' : error.message;
  return 'keygate could not be reached.';
}

if (!customElements.get('keygate-api-keys')) customElements.define('keygate-api-keys', KeygateApiKeys);

declare global {
  interface HTMLElementTagNameMap {
    'keygate-api-keys': KeygateApiKeys;
  }
}
