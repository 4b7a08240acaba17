import { html, LitElement, nothing } from 'lit';
import {
  errorText,
  PLAN_STATUSES,
  PLANS,
  query,
  TENANT_STATUSES,
  type ConsoleApi,
  type Page,
  type Tenant,
} from './api';
import { consoleStyles } from './look';

/** Fired (bubbling, composed) to open one tenant's page. */
export const OPEN_TENANT = 'kg-open-tenant';

/** The listing's filters, as `GET /v1/panel/tenants` takes them; an empty one is left out. */
const FILTERS = ['search', 'plan', 'status', 'planStatus', 'createdFrom', 'createdTo'] as const;

/**
 * `<kg-tenants>`: every tenant, newest first, a page at a time through the API's cursors, which
 * the API filters (id or name prefix, plan, status, plan status, created days); open one by id;
 * create one, whose first owner key is shown once and dropped when closed.
 */
export class KgTenants extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    api: { attribute: false },
    page: { state: true },
    cursors: { state: true },
    created: { state: true },
    error: { state: true },
  };

  declare api: ConsoleApi;
  declare private page: Page<Tenant> | undefined;
  declare private cursors: readonly (string | undefined)[];
  declare private created: { tenantId: string; key: string } | undefined;
  declare private error: string | undefined;
  #filter: Record<string, string> = {};
  /** Counts the reads, so an answer overtaken by a later read (a filter, a page) is dropped. */
  #reads = 0;

  constructor() {
    super();
    this.cursors = [undefined];
  }

  protected override firstUpdated(): void {
    void this.load();
  }

  private async load(): Promise<void> {
    const read = ++this.#reads;
    try {
      const page = await this.api.call<Page<Tenant>>(
        'GET',
        `/v1/panel/tenants?${query({ ...this.#filter, limit: 20, cursor: this.cursors.at(-1) })}`,
      );
      if (read !== this.#reads) return;
      this.page = page;
      this.error = undefined;
    } catch (error) {
      if (read === this.#reads) this.error = errorText(error);
    }
  }

  /** Filters from the first page on: a cursor belongs to the filters it was read with. */
  private filter(event: SubmitEvent): void {
    event.preventDefault();
    const data = new FormData(event.target as HTMLFormElement);
    this.#filter = Object.fromEntries(
      FILTERS.map((name) => [name, String(data.get(name) ?? '').trim()]).filter(([, value]) => value !== ''),
    );
    this.move([undefined]);
  }

  private move(cursors: readonly (string | undefined)[]): void {
    this.cursors = cursors;
    void this.load();
  }

  private open(tenantId: string): void {
    this.dispatchEvent(new CustomEvent(OPEN_TENANT, { detail: tenantId, bubbles: true, composed: true }));
  }

  private async create(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const tenantId = String(data.get('tenantId') ?? '').trim();
    try {
      const made = await this.api.call<{ tenant: Tenant; key: { key: string } }>('POST', '/v1/panel/tenants', {
        ...(tenantId === '' ? {} : { tenantId }),
        name: String(data.get('name') ?? '').trim(),
        plan: String(data.get('plan')),
      });
      this.created = { tenantId: made.tenant.tenantId, key: made.key.key };
      form.reset();
      this.error = undefined;
      await this.load();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  private openById(event: SubmitEvent): void {
    event.preventDefault();
    const id = String(new FormData(event.target as HTMLFormElement).get('id') ?? '').trim();
    if (id !== '') this.open(id);
  }

  protected override render() {
    return html`<section aria-label="Tenants">
      <h2>Tenants</h2>
      <form @submit=${this.openById}>
        <label>Tenant id <input name="id" required /></label>
        <button type="submit">Open tenant</button>
      </form>
      <form aria-label="Create a tenant" @submit=${this.create}>
        <label>New tenant id (optional) <input name="tenantId" /></label>
        <label>Name <input name="name" required /></label>
        <label
          >Plan
          <select name="plan">
            ${PLANS.map((plan) => html`<option value=${plan}>${plan}</option>`)}
          </select></label
        >
        <button type="submit">Create tenant</button>
      </form>
      ${
        this.created === undefined
          ? nothing
          : html`<div role="status" class="warning">
              <p>Tenant ${this.created.tenantId} created. Its owner key: copy it now, you won't see it again.</p>
              <label>Owner key <input class="secret" readonly .value=${this.created.key} /></label>
              <button @click=${() => (this.created = undefined)}>Done</button>
            </div>`
      }
      <form aria-label="Filter tenants" @submit=${this.filter}>
        <label>Search tenants <input name="search" type="search" placeholder="id or name prefix" /></label>
        <label
          >Plan filter
          <select name="plan">
            <option value="">any plan</option>
            ${PLANS.map((plan) => html`<option value=${plan}>${plan}</option>`)}
          </select></label
        >
        <label
          >Status filter
          <select name="status">
            <option value="">any status</option>
            ${TENANT_STATUSES.map((status) => html`<option value=${status}>${status}</option>`)}
          </select></label
        >
        <label
          >Plan status filter
          <select name="planStatus">
            <option value="">any plan status</option>
            ${PLAN_STATUSES.map((status) => html`<option value=${status}>${status}</option>`)}
          </select></label
        >
        <label>Created from <input name="createdFrom" type="date" /></label>
        <label>Created to <input name="createdTo" type="date" /></label>
        <button type="submit">Filter tenants</button>
      </form>
      ${this.error === undefined ? nothing : html`<p role="alert" class="error">${this.error}</p>`}
      <table>
        <thead>
          <tr>
            <th scope="col">Tenant</th>
            <th scope="col">Name</th>
            <th scope="col">Plan</th>
            <th scope="col">Plan status</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          ${(this.page?.items ?? []).map(
            (tenant) =>
              html`<tr>
                <td><button @click=${() => this.open(tenant.tenantId)}>${tenant.tenantId}</button></td>
                <td>${tenant.name}</td>
                <td>${tenant.plan}</td>
                <td>${tenant.planStatus}</td>
                <td>${tenant.status}</td>
                <td>${tenant.createdAt}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${
        this.page === undefined || this.page.items.length > 0
          ? nothing
          : html`<p>
              ${
                this.page.cursor === undefined
                  ? 'No tenants match.'
                  : 'No matching tenants among those read for this page; more may follow: Next tenants.'
              }
            </p>`
      }
      <div class="toolbar">
        <button ?disabled=${this.cursors.length === 1} @click=${() => this.move(this.cursors.slice(0, -1))}>
          Previous tenants
        </button>
        <button
          ?disabled=${this.page?.cursor === undefined}
          @click=${() => this.move([...this.cursors, this.page?.cursor])}
        >
          Next tenants
        </button>
      </div>
    </section>`;
  }
}

customElements.define('kg-tenants', KgTenants);
