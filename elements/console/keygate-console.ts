import { html, LitElement, nothing } from 'lit';
import { apiBaseUrl, ConsoleApi, errorText } from './api';
import { consoleStyles } from './look';
import { OPEN_TENANT } from './tenants-page';
import { TENANT_DELETED } from './tenant-page';
import './tenants-page';
import './tenant-page';
import './events-page';
import './leaks-page';
import './usage-page';

type View =
  | { page: 'tenants' }
  | { page: 'tenant'; tenantId: string }
  | { page: 'events' }
  | { page: 'leaks' }
  | { page: 'usage' };

const NAV: readonly { page: Exclude<View['page'], 'tenant'>; label: string }[] = [
  { page: 'tenants', label: 'Tenants' },
  { page: 'events', label: 'Events' },
  { page: 'leaks', label: 'Leaks' },
  { page: 'usage', label: 'Usage' },
];

/**
 * `<keygate-console>`: the operator console. An operator key is exchanged once for an operator
 * session (the field is cleared and the key kept nowhere); the session lives in this element's
 * memory only, and "Sign out" revokes it.
 */
export class KeygateConsole extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    signedIn: { state: true },
    view: { state: true },
    error: { state: true },
    notice: { state: true },
  };

  declare private signedIn: boolean;
  declare private view: View;
  declare private error: string | undefined;
  declare private notice: string | undefined;
  readonly #api = new ConsoleApi(() => {
    this.signedIn = false;
    this.error = 'Your session has ended: sign in again.';
  }, apiBaseUrl(document));

  constructor() {
    super();
    this.signedIn = false;
    this.view = { page: 'tenants' };
    this.addEventListener(OPEN_TENANT, (event) =>
      this.go({ page: 'tenant', tenantId: (event as CustomEvent<string>).detail }),
    );
    this.addEventListener(TENANT_DELETED, (event) => {
      this.notice = `Tenant ${(event as CustomEvent<string>).detail} deleted.`;
      this.view = { page: 'tenants' };
    });
  }

  private go(view: View): void {
    this.notice = undefined;
    this.view = view;
  }

  private async signIn(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const key = String(data.get('key') ?? '').trim();
    const user = String(data.get('user') ?? '').trim() || 'console';
    form.reset();
    try {
      await this.#api.signIn(key, user);
      this.error = undefined;
      this.view = { page: 'tenants' };
      this.signedIn = true;
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private async signOut(): Promise<void> {
    await this.#api.signOut();
    this.signedIn = false;
    this.notice = 'Signed out.';
  }

  protected override render() {
    return html`<main>
      <h1>keygate console</h1>
      ${this.signedIn ? this.pages() : this.signInForm()}
    </main>`;
  }

  private signInForm() {
    return html`<form aria-label="Sign in" @submit=${this.signIn}>
        <label>Operator key <input name="key" type="password" autocomplete="off" required /></label>
        <label>Your name (recorded on every event) <input name="user" autocomplete="username" /></label>
        <button type="submit">Sign in</button>
      </form>
      ${this.notice === undefined ? nothing : html`<p role="status">${this.notice}</p>`}
      ${this.error === undefined ? nothing : html`<p role="alert" class="error">${this.error}</p>`}`;
  }

  private pages() {
    const view = this.view;
    return html`<nav aria-label="Console">
        ${NAV.map(
          (item) =>
            html`<button
              aria-current=${view.page === item.page ? 'page' : 'false'}
              @click=${() => this.go({ page: item.page })}
            >
              ${item.label}
            </button>`,
        )}
        <span class="grow"></span>
        <button @click=${this.signOut}>Sign out</button>
      </nav>
      ${this.notice === undefined ? nothing : html`<p role="status">${this.notice}</p>`}
      ${
        view.page === 'tenants'
          ? html`<kg-tenants .api=${this.#api}></kg-tenants>`
          : view.page === 'tenant'
            ? html`<kg-tenant .api=${this.#api} tenant-id=${view.tenantId}></kg-tenant>`
            : view.page === 'events'
              ? html`<kg-events .api=${this.#api}></kg-events>`
              : view.page === 'usage'
                ? html`<kg-usage .api=${this.#api}></kg-usage>`
                : html`<kg-leaks .api=${this.#api}></kg-leaks>`
      }`;
  }
}

customElements.define('keygate-console', KeygateConsole);
