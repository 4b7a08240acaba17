import { html, LitElement, nothing } from 'lit';
import { errorText, query, type ConsoleApi } from './api';
import { consoleStyles } from './look';
import type { UsageWindow } from './usage-chart';
import './usage-chart';

const HOUR_MS = 3_600_000;

/** The windows offered, each ending now; keygate keeps hours 35 days, so each may be read by hour. */
const RANGES = [
  { hours: 24, label: 'last 24 hours' },
  { hours: 7 * 24, label: 'last 7 days' },
  { hours: 30 * 24, label: 'last 30 days' },
] as const;

/**
 * `<kg-tenant-usage tenant-id="…">`: a tenant's requests, refusals and throttles over the last
 * day, week or month, per hour or day (`GET /v1/panel/tenants/{tenantId}/usage`), as a chart.
 */
export class KgTenantUsage extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    api: { attribute: false },
    tenantId: { attribute: 'tenant-id' },
    hours: { state: true },
    granularity: { state: true },
    usage: { state: true },
    error: { state: true },
  };

  declare api: ConsoleApi;
  declare tenantId: string;
  declare private hours: number;
  declare private granularity: 'hour' | 'day';
  declare private usage: UsageWindow | undefined;
  declare private error: string | undefined;
  /** Counts the reads, so an answer overtaken by a later read (another range) is dropped. */
  #reads = 0;

  constructor() {
    super();
    this.hours = RANGES[0].hours;
    this.granularity = 'hour';
  }

  protected override firstUpdated(): void {
    void this.load();
  }

  /** Reads the window again, ending now. */
  async load(): Promise<void> {
    const read = ++this.#reads;
    const from = new Date(Date.now() - this.hours * HOUR_MS).toISOString();
    try {
      const usage = await this.api.call<UsageWindow>(
        'GET',
        `/v1/panel/tenants/${encodeURIComponent(this.tenantId)}/usage?${query({ from, granularity: this.granularity })}`,
      );
      if (read !== this.#reads) return;
      this.usage = usage;
      this.error = undefined;
    } catch (error) {
      if (read === this.#reads) this.error = errorText(error);
    }
  }

  private choose(event: Event): void {
    const data = new FormData((event.target as HTMLSelectElement).form!);
    this.hours = Number(data.get('range'));
    this.granularity = data.get('granularity') === 'day' ? 'day' : 'hour';
    this.usage = undefined;
    void this.load();
  }

  protected override render() {
    const range = RANGES.find((candidate) => candidate.hours === this.hours) ?? RANGES[0];
    return html`<section aria-label="Usage of ${this.tenantId}">
      <h3>Usage</h3>
      <form aria-label="Usage window" @change=${this.choose} @submit=${(e: Event) => e.preventDefault()}>
        <label
          >Range
          <select name="range">
            ${RANGES.map((r) => html`<option value=${r.hours} ?selected=${r.hours === this.hours}>${r.label}</option>`)}
          </select></label
        >
        <label
          >Per
          <select name="granularity">
            <option value="hour" ?selected=${this.granularity === 'hour'}>hour</option>
            <option value="day" ?selected=${this.granularity === 'day'}>day</option>
          </select></label
        >
        <button type="button" @click=${() => void this.load()}>Refresh usage</button>
      </form>
      ${this.error === undefined ? nothing : html`<p role="alert" class="error">${this.error}</p>`}
      <kg-usage-chart
        .usage=${this.usage}
        label="${this.tenantId}, ${range.label} by ${this.granularity}"
      ></kg-usage-chart>
    </section>`;
  }
}

customElements.define('kg-tenant-usage', KgTenantUsage);
