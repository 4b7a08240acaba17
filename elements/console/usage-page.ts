import { html, LitElement, nothing } from 'lit';
import { errorText, query, type ConsoleApi } from './api';
import { consoleStyles } from './look';
import { OPEN_TENANT } from './tenants-page';
import type { UsageCounts, UsageWindow } from './usage-chart';
import './usage-chart';

const DAY_MS = 86_400_000;

/** How many tenants the ranking lists. */
const RANKED = 20;

/** The ranking's windows: whole UTC days, today included (keygate ranks by day). */
const RANGES = [
  { days: 1, label: 'today' },
  { days: 7, label: 'last 7 days' },
  { days: 30, label: 'last 30 days' },
] as const;

/** What the tenants are ranked by; errors are 4xx and 5xx answers. */
const SORTS = [
  { sort: 'requests', label: 'requests' },
  { sort: 'errors', label: 'errors (4xx and 5xx)' },
  { sort: 'throttled', label: 'throttled' },
] as const;
type Sort = (typeof SORTS)[number]['sort'];

/** `GET /v1/panel/usage`: every tenant summed by day, and the busiest tenants. */
interface TenantRanking extends UsageWindow {
  readonly sort: Sort;
  readonly tenants: readonly (UsageCounts & { readonly tenantId: string })[];
}

/**
 * `<kg-usage>`: tenants ranked by requests, errors or throttles over whole days, each opening
 * its tenant's page, and every tenant's requests per day as a chart.
 */
export class KgUsage extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    api: { attribute: false },
    days: { state: true },
    sort: { state: true },
    ranking: { state: true },
    error: { state: true },
  };

  declare api: ConsoleApi;
  declare private days: number;
  declare private sort: Sort;
  declare private ranking: TenantRanking | undefined;
  declare private error: string | undefined;
  /** Counts the reads, so an answer overtaken by a later read (another range or sort) is dropped. */
  #reads = 0;

  constructor() {
    super();
    this.days = RANGES[1].days;
    this.sort = 'requests';
  }

  protected override firstUpdated(): void {
    void this.load();
  }

  /** Reads the ranking again, up to today. */
  async load(): Promise<void> {
    const read = ++this.#reads;
    const from = new Date(Date.now() - (this.days - 1) * DAY_MS).toISOString().slice(0, 10);
    try {
      const ranking = await this.api.call<TenantRanking>(
        'GET',
        `/v1/panel/usage?${query({ from, sort: this.sort, limit: RANKED })}`,
      );
      if (read !== this.#reads) return;
      this.ranking = ranking;
      this.error = undefined;
    } catch (error) {
      if (read === this.#reads) this.error = errorText(error);
    }
  }

  private choose(event: Event): void {
    const data = new FormData((event.target as HTMLSelectElement).form!);
    this.days = Number(data.get('range'));
    this.sort = SORTS.find((candidate) => candidate.sort === data.get('sort'))?.sort ?? 'requests';
    this.ranking = undefined;
    void this.load();
  }

  private open(tenantId: string): void {
    this.dispatchEvent(new CustomEvent(OPEN_TENANT, { detail: tenantId, bubbles: true, composed: true }));
  }

  protected override render() {
    const range = RANGES.find((candidate) => candidate.days === this.days) ?? RANGES[1];
    const sorted = (sort: Sort) => (this.sort === sort ? 'descending' : nothing);
    return html`<section aria-label="Usage">
      <h2>Usage</h2>
      <form aria-label="Ranking" @change=${this.choose} @submit=${(e: Event) => e.preventDefault()}>
        <label
          >Range
          <select name="range">
            ${RANGES.map((r) => html`<option value=${r.days} ?selected=${r.days === this.days}>${r.label}</option>`)}
          </select></label
        >
        <label
          >Rank by
          <select name="sort">
            ${SORTS.map((s) => html`<option value=${s.sort} ?selected=${s.sort === this.sort}>${s.label}</option>`)}
          </select></label
        >
        <button type="button" @click=${() => void this.load()}>Refresh usage</button>
      </form>
      ${this.error === undefined ? nothing : html`<p role="alert" class="error">${this.error}</p>`}
      <table aria-label="Tenants by ${SORTS.find((s) => s.sort === this.sort)?.label}, ${range.label}">
        <thead>
          <tr>
            <th scope="col">Rank</th>
            <th scope="col">Tenant</th>
            <th scope="col" aria-sort=${sorted('requests')}>Requests</th>
            <th scope="col" aria-sort=${sorted('errors')}>Errors</th>
            <th scope="col">Refused</th>
            <th scope="col" aria-sort=${sorted('throttled')}>Throttled</th>
          </tr>
        </thead>
        <tbody>
          ${(this.ranking?.tenants ?? []).map(
            (tenant, index) =>
              html`<tr>
                <td>${index + 1}</td>
                <td><button @click=${() => this.open(tenant.tenantId)}>${tenant.tenantId}</button></td>
                <td>${tenant.requests}</td>
                <td>${tenant.status4xx + tenant.status5xx}</td>
                <td>${tenant.denied}</td>
                <td>${tenant.throttled}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${
        this.ranking !== undefined && this.ranking.tenants.length === 0
          ? html`<p>No requests ${range.label}.</p>`
          : nothing
      }
      <kg-usage-chart .usage=${this.ranking} label="Every tenant, ${range.label} by day"></kg-usage-chart>
    </section>`;
  }
}

customElements.define('kg-usage', KgUsage);
