import { html, LitElement, nothing } from 'lit';
import { errorText, PLANS, type ConsoleApi, type Page, type Tenant } from './api';
import { consoleStyles } from './look';
import './events-page';
import './tenant-usage';

/** How often a pending plan change is read again, until applied. */
const POLL_MS = 1000;

/** Fired (bubbling, composed) when the tenant is deleted. */
export const TENANT_DELETED = 'kg-tenant-deleted';

interface PanelKey {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly environment: string;
  readonly status: string;
  readonly last4: string;
  readonly createdAt: string;
}

/**
 * `<kg-tenant tenant-id="…">`: one tenant: its plan and limits with the change form (a pending
 * change is read again until applied, without a reload), suspend and resume, delete after the
 * id is typed, its keys (through the panel's key routes) and its events.
 */
export class KgTenant extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    api: { attribute: false },
    tenantId: { attribute: 'tenant-id' },
    tenant: { state: true },
    keys: { state: true },
    confirmation: { state: true },
    error: { state: true },
  };

  declare api: ConsoleApi;
  declare tenantId: string;
  declare private tenant: Tenant | undefined;
  declare private keys: Page<PanelKey> | undefined;
  declare private confirmation: string;
  declare private error: string | undefined;
  #poll: ReturnType<typeof setTimeout> | undefined;

  constructor() {
    super();
    this.confirmation = '';
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearTimeout(this.#poll);
  }

  protected override firstUpdated(): void {
    void this.load();
  }

  private path(rest = ''): string {
    return `/v1/panel/tenants/${encodeURIComponent(this.tenantId)}${rest}`;
  }

  private async load(): Promise<void> {
    await this.run(async () => {
      this.tenant = await this.api.call<Tenant>('GET', this.path());
      this.keys = await this.api.call<Page<PanelKey>>('GET', this.path('/keys?limit=20'));
    });
  }

  private async run(action: () => Promise<void>): Promise<void> {
    try {
      await action();
      this.error = undefined;
    } catch (error) {
      this.error = errorText(error);
    }
    this.follow();
  }

  /** Reads the tenant again while its plan is pending, so the page shows it applied. */
  private follow(): void {
    clearTimeout(this.#poll);
    if (this.tenant?.planStatus !== 'pending' || !this.isConnected) return;
    this.#poll = setTimeout(() => {
      void this.run(async () => {
        this.tenant = await this.api.call<Tenant>('GET', this.path());
      });
    }, POLL_MS);
  }

  private changePlan(event: SubmitEvent): void {
    event.preventDefault();
    const plan = String(new FormData(event.target as HTMLFormElement).get('plan'));
    void this.run(async () => {
      this.tenant = await this.api.call<Tenant>('PUT', this.path('/plan'), { plan });
    });
  }

  private setStatus(action: 'suspend' | 'resume'): void {
    void this.run(async () => {
      this.tenant = await this.api.call<Tenant>('POST', this.path(`/${action}`), {});
    });
  }

  private deleteTenant(event: SubmitEvent): void {
    event.preventDefault();
    if (this.confirmation !== this.tenantId) return;
    void this.run(async () => {
      await this.api.call<void>('DELETE', this.path());
      this.dispatchEvent(new CustomEvent(TENANT_DELETED, { detail: this.tenantId, bubbles: true, composed: true }));
    });
  }

  protected override render() {
    const tenant = this.tenant;
    return html`<section aria-label="Tenant ${this.tenantId}">
      <h2>Tenant ${this.tenantId}</h2>
      ${this.error === undefined ? nothing : html`<p role="alert" class="error">${this.error}</p>`}
      ${
        tenant === undefined
          ? nothing
          : html`<dl>
                <dt>Name</dt>
                <dd>${tenant.name}</dd>
                <dt>Status</dt>
                <dd data-field="status">${tenant.status}</dd>
                <dt>Plan</dt>
                <dd>${tenant.plan}</dd>
                <dt>Plan status</dt>
                <dd data-field="planStatus" aria-live="polite">${tenant.planStatus}</dd>
                <dt>Limits</dt>
                <dd>
                  ${tenant.limits.rateLimit} requests/s, burst
                  ${tenant.limits.burstLimit}${tenant.limits.quota === undefined ? '' : `, ${tenant.limits.quota.limit} per ${tenant.limits.quota.period.toLowerCase()}`}
                </dd>
                <dt>Created</dt>
                <dd>${tenant.createdAt}</dd>
              </dl>
              <form aria-label="Change plan" @submit=${this.changePlan}>
                <label
                  >New plan
                  <select name="plan">
                    ${PLANS.map((plan) => html`<option value=${plan} ?selected=${plan === tenant.plan}>${plan}</option>`)}
                  </select></label
                >
                <button type="submit">Change plan</button>
              </form>
              <div class="toolbar">
                ${
                  tenant.status === 'suspended'
                    ? html`<button @click=${() => this.setStatus('resume')}>Resume tenant</button>`
                    : html`<button @click=${() => this.setStatus('suspend')}>Suspend tenant</button>`
                }
              </div>
              <form aria-label="Delete tenant" @submit=${this.deleteTenant}>
                <label
                  >Type ${this.tenantId} to delete it
                  <input
                    name="confirm"
                    autocomplete="off"
                    @input=${(e: Event) => (this.confirmation = (e.target as HTMLInputElement).value)}
                /></label>
                <button type="submit" class="danger" ?disabled=${this.confirmation !== this.tenantId}>
                  Delete tenant
                </button>
              </form>
              <h3>Keys</h3>
              <table>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Key</th>
                    <th scope="col">Role</th>
                    <th scope="col">Environment</th>
                    <th scope="col">Status</th>
                    <th scope="col">Created</th>
                  </tr>
                </thead>
                <tbody>
                  ${(this.keys?.items ?? []).map(
                    (key) =>
                      html`<tr>
                        <td>${key.name}</td>
                        <td>${key.id} …${key.last4}</td>
                        <td>${key.role}</td>
                        <td>${key.environment}</td>
                        <td>${key.status}</td>
                        <td>${key.createdAt}</td>
                      </tr>`,
                  )}
                </tbody>
              </table>`
      }
      <kg-events .api=${this.api} tenant-id=${this.tenantId} heading="Events of ${this.tenantId}"></kg-events>
      <kg-tenant-usage .api=${this.api} tenant-id=${this.tenantId}></kg-tenant-usage>
    </section>`;
  }
}

customElements.define('kg-tenant', KgTenant);
