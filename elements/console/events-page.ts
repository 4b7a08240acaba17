import { html, LitElement, nothing, type PropertyValues } from 'lit';
import { errorText, EVENT_TYPES, query, type AuditEvent, type ConsoleApi, type Page } from './api';
import { consoleStyles } from './look';

/** How often an open events list asks for new events. */
const FOLLOW_MS = 3000;

/** Who did it, in a few words: the operator session's user, a key, or keygate itself. */
export function actorText(actor: AuditEvent['actor']): string {
  if (actor.session !== undefined) return `${actor.userId ?? '?'} (${actor.role ?? '?'} session ${actor.session})`;
  if (actor.keyId !== undefined) return `key ${actor.keyId} (${actor.role ?? '?'})`;
  return actor.system ?? 'unknown';
}

/**
 * `<kg-events>`: the panel's audit trail, newest first, one page at a time through the API's
 * cursors, following new events while the first page is open. The API filters by tenant, type
 * and key; a filtered page may come back short, or empty, with a cursor to older events.
 */
export class KgEvents extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    api: { attribute: false },
    tenantId: { attribute: 'tenant-id' },
    type: {},
    heading: {},
    keyId: { state: true },
    page: { state: true },
    cursors: { state: true },
    error: { state: true },
  };

  declare api: ConsoleApi;
  /** Only this tenant's events; set, the tenant filter is not offered. */
  declare tenantId: string | undefined;
  /** Only events of this type. */
  declare type: string | undefined;
  declare heading: string;
  declare private keyId: string;
  declare private page: Page<AuditEvent> | undefined;
  declare private cursors: readonly (string | undefined)[];
  declare private error: string | undefined;
  #tenantFilter = '';
  /** The type and key of the page read; the fields' own values apply from the next "Filter events". */
  #applied = { type: '', keyId: '' };
  /** Counts the reads, so an answer overtaken by a later read (a filter, a page) is dropped. */
  #reads = 0;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor() {
    super();
    this.heading = 'Events';
    this.keyId = '';
    this.cursors = [undefined];
  }

  override connectedCallback(): void {
    super.connectedCallback();
    this.#timer = setInterval(() => {
      if (this.cursors.length === 1) void this.load();
    }, FOLLOW_MS);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    clearInterval(this.#timer);
  }

  protected override firstUpdated(): void {
    this.#applied = { type: this.type ?? '', keyId: this.keyId };
    void this.load();
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('tenantId') && changed.get('tenantId') !== undefined) void this.load();
  }

  /** Reads the current page again. */
  async load(): Promise<void> {
    const read = ++this.#reads;
    try {
      const tenantId = this.tenantId ?? this.#tenantFilter;
      const { type, keyId } = this.#applied;
      const page = await this.api.call<Page<AuditEvent>>(
        'GET',
        `/v1/panel/events?${query({ tenantId, type, keyId, limit: 50, cursor: this.cursors.at(-1) })}`,
      );
      if (read !== this.#reads) return;
      this.page = page;
      this.error = undefined;
    } catch (error) {
      if (read === this.#reads) this.error = errorText(error);
    }
  }

  /** Filters from the first page on: a cursor belongs to the filters it was read with. */
  private filter(event: Event): void {
    event.preventDefault();
    this.#applied = { type: this.type ?? '', keyId: this.keyId };
    this.move([undefined]);
  }

  private move(cursors: readonly (string | undefined)[]): void {
    this.cursors = cursors;
    void this.load();
  }

  protected override render() {
    const events = this.page?.items ?? [];
    return html`<section aria-label=${this.heading}>
      <h2>${this.heading}</h2>
      <form @submit=${this.filter}>
        ${
          this.tenantId === undefined
            ? html`<label
                >Tenant
                <input
                  name="tenant"
                  @input=${(e: Event) => (this.#tenantFilter = (e.target as HTMLInputElement).value.trim())}
              /></label>`
            : nothing
        }
        <!-- a label of its own, not around the select: its options' words (tenant.created…) would be in its name. -->
        <label for="event-type">Event type</label>
        <select
          id="event-type"
          name="type"
          .value=${this.type ?? ''}
          @change=${(e: Event) => (this.type = (e.target as HTMLSelectElement).value)}
        >
          <option value="" ?selected=${(this.type ?? '') === ''}>any type</option>
          ${EVENT_TYPES.map((type) => html`<option value=${type} ?selected=${this.type === type}>${type}</option>`)}
        </select>
        <label
          >Key id
          <input
            name="key"
            .value=${this.keyId}
            @input=${(e: Event) => (this.keyId = (e.target as HTMLInputElement).value.trim())}
        /></label>
        <button type="submit">Filter events</button>
      </form>
      ${this.error === undefined ? nothing : html`<p role="alert" class="error">${this.error}</p>`}
      <table>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Type</th>
            <th scope="col">Tenant</th>
            <th scope="col">Key</th>
            <th scope="col">Actor</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          ${events.map(
            (event) =>
              html`<tr>
                <td>${event.at}</td>
                <td>${event.type}</td>
                <td>${event.tenantId}</td>
                <td>${event.keyId ?? ''}</td>
                <td>${actorText(event.actor)}</td>
                <td>${event.details === undefined ? '' : JSON.stringify(event.details)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${
        events.length > 0
          ? nothing
          : html`<p>
              ${
                this.page?.cursor === undefined
                  ? 'No events.'
                  : 'No matching events among those read for this page; older ones may follow: Older events.'
              }
            </p>`
      }
      <div class="toolbar">
        <button ?disabled=${this.cursors.length === 1} @click=${() => this.move(this.cursors.slice(0, -1))}>
          Newer events
        </button>
        <button
          ?disabled=${this.page?.cursor === undefined}
          @click=${() => this.move([...this.cursors, this.page?.cursor])}
        >
          Older events
        </button>
      </div>
    </section>`;
  }
}

customElements.define('kg-events', KgEvents);
