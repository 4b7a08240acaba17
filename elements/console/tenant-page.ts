import { html, LitElement, nothing } from 'lit';
import { errorText, PLANS, type ConsoleApi, type Tenant } from './api';
import { consoleStyles } from './look';
import type { SessionExpiredDetail } from '../session';
import './events-page';
import './tenant-usage';
import '../keygate-api-keys';

/** How often a pending plan change is read again, until applied. */
const POLL_MS = 1000;

/** Fired (bubbling, composed) when the tenant is deleted. */
export const TENANT_DELETED = 'kg-tenant-deleted';

/**
 * `<kg-tenant tenant-id="…">`: one tenant: its plan and limits with the change form (a pending
 * change is read again until applied, without a reload), suspend and resume, delete after the
 * id is typed, its keys (`<keygate-api-keys>` in operator mode, over the panel's key routes with
 * the console's session) and its events.
 */
export class KgTenant extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    api: { attribute: false },
    tenantId: { attribute: 'tenant-id' },
    tenant: { state: true },
    workspaces: { state: true },
    confirmation: { state: true },
    error: { state: true },
  };

  declare api: ConsoleApi;
  declare tenantId: string;
  declare private tenant: Tenant | undefined;
  /** The tenant's workspaces, sorted; empty for a tenant without any. */
  declare private workspaces: readonly string[];
  declare private confirmation: string;
  declare private error: string | undefined;
  #poll: ReturnType<typeof setTimeout> | undefined;
  /** The session last handed to the keys component. */
  #keysSession: string | undefined;

  constructor() {
    super();
    this.confirmation = '';
    this.workspaces = [];
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
      const [tenant, { workspaces }] = await Promise.all([
        this.api.call<Tenant>('GET', this.path()),
        this.api.call<{ workspaces: string[] }>('GET', this.path('/workspaces')),
      ]);
      this.tenant = tenant;
      this.workspaces = workspaces;
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

  /** The console's session for the keys component; a renewed one reaches it on the next render. */
  private keysSession(): string | undefined {
    this.#keysSession = this.api.token;
    return this.#keysSession;
  }

  /**
   * The keys component was refused (401): it gets the console's session if that was renewed since
   * it was handed over; otherwise the session has ended, and the console says so.
   */
  private renewKeysSession(event: CustomEvent<SessionExpiredDetail>): void {
    event.stopPropagation();
    const token = this.api.token;
    if (token !== undefined && token !== this.#keysSession) {
      this.#keysSession = token;
      return event.detail.renew(token);
    }
    if (token !== undefined) this.api.refused(token);
    event.detail.renew(Promise.reject(new Error('the session has ended')));
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
                ${
                  this.workspaces.length === 0
                    ? nothing
                    : html`<dt>Workspaces</dt>
                        <dd>${this.workspaces.join(', ')}</dd>`
                }
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
              <keygate-api-keys
                tenant-id=${this.tenantId}
                .session=${this.keysSession()}
                @keygate-session-expired=${this.renewKeysSession}
              ></keygate-api-keys>`
      }
      <kg-events .api=${this.api} tenant-id=${this.tenantId} heading="Events of ${this.tenantId}"></kg-events>
      <kg-tenant-usage .api=${this.api} tenant-id=${this.tenantId}></kg-tenant-usage>
    </section>`;
  }
}

customElements.define('kg-tenant', KgTenant);
