import { html, nothing, type TemplateResult } from 'lit';
import type { Environment, Key, KeyActivity, KeyEvent, KeyUsage, Role } from './api';

/** How each role reads on the page. */
export const ROLE_NAMES: Record<Role, string> = {
  operator: 'Operator',
  owner: 'Owner',
  admin: 'Admin',
  developer: 'Developer',
  read_only: 'Read only',
};

/** `YYYY-MM-DD` from an instant, as UTC. */
export const day = (iso: string): string => iso.slice(0, 10);
/** `YYYY-MM-DD hh:mm UTC` from an instant. */
export const when = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/** What a key row may do, per key. */
export interface RowActions {
  readonly manage: boolean;
  readonly eventsOpen: boolean;
  readonly events: KeyActivity | 'loading' | undefined;
  /** A key's name by id, to say which key acted. */
  nameOf(keyId: string): string | undefined;
  onRevoke(): void;
  onEnable(): void;
  onDelete(): void;
  onRotate(): void;
  onEvents(): void;
}

/** One key's row and, when open, the row of its recent events. */
export function keyRow(key: Key, actions: RowActions): TemplateResult {
  const eventsId = `events-${key.id}`;
  return html`<tr>
      <td class="name">${key.name}</td>
      <td><code>…${key.last4}</code></td>
      <td>${ROLE_NAMES[key.role]}</td>
      <td>${day(key.createdAt)}</td>
      <td>${key.lastUsedAt === null ? html`<span class="muted">Never</span>` : when(key.lastUsedAt)}</td>
      <td>${key.expiresAt === null ? html`<span class="muted">Never</span>` : day(key.expiresAt)}</td>
      <td class="status-${key.status}">${key.status[0].toUpperCase() + key.status.slice(1)}</td>
      <td>
        <div class="actions">
          ${
            actions.manage && key.status === 'active'
              ? html`<button part="button" aria-label="Revoke ${key.name}" @click=${actions.onRevoke}>Revoke</button>
                  <button part="button" aria-label="Rotate ${key.name}" @click=${actions.onRotate}>Rotate</button>`
              : nothing
          }
          ${
            actions.manage && key.status === 'revoked'
              ? html`<button part="button" aria-label="Enable ${key.name}" @click=${actions.onEnable}>Enable</button>`
              : nothing
          }
          ${
            actions.manage
              ? html`<button
                  part="button danger-button"
                  class="danger"
                  aria-label="Delete ${key.name}"
                  @click=${actions.onDelete}
                >
                  Delete
                </button>`
              : nothing
          }
          <button
            part="button"
            aria-label="Events of ${key.name}"
            aria-expanded=${actions.eventsOpen ? 'true' : 'false'}
            aria-controls=${eventsId}
            @click=${actions.onEvents}
          >
            Events
          </button>
        </div>
      </td>
    </tr>
    ${
      actions.eventsOpen
        ? html`<tr id=${eventsId} class="events" part="events">
            <td colspan="8">${eventList(actions.events, actions.nameOf)}</td>
          </tr>`
        : nothing
    }`;
}

function eventList(
  activity: KeyActivity | 'loading' | undefined,
  nameOf: (keyId: string) => string | undefined,
): TemplateResult {
  if (activity === undefined || activity === 'loading') return html`<span class="muted">Loading events…</span>`;
  const { events, usage } = activity;
  return html`${usageSummary(usage)}${
    events.length === 0
      ? html`<span class="muted">No events yet.</span>`
      : html`<ul aria-label="Recent events">
          ${events.map(
            (event) =>
              html`<li><code>${event.type}</code> · ${when(event.at)} · by ${actorOf(event.actor, nameOf)}</li>`,
          )}
        </ul>`
  }`;
}

/** The key's last 30 days: requests, refusals, throttles and where they came from. */
function usageSummary(usage: KeyUsage): TemplateResult {
  const { requests, denied, throttled } = usage.totals;
  return html`<p class="usage" part="usage">
    Last 30 days: ${requests} requests, ${denied} refused, ${throttled}
    throttled${
      usage.sources.length === 0
        ? nothing
        : html`; from
          ${usage.sources
            .slice(0, 3)
            .map((source) => `${source.ip} (${source.userAgent}, ${source.requests})`)
            .join(', ')}`
    }
  </p>`;
}

function actorOf(actor: KeyEvent['actor'], nameOf: (keyId: string) => string | undefined): string {
  if (actor.userId !== undefined) return actor.userId;
  if (actor.system !== undefined) return actor.system;
  if (actor.keyId === undefined) return 'keygate';
  const name = nameOf(actor.keyId);
  return name === undefined ? actor.keyId : `“${name}”`;
}

/** The Test / Live switch, the search box and, for members who may, the create button. */
export function toolbar(state: {
  readonly environment: Environment;
  readonly testOnly: boolean;
  readonly search: string;
  readonly manage: boolean;
  onEnvironment(environment: Environment): void;
  onSearch(event: InputEvent): void;
  onCreate(): void;
}): TemplateResult {
  return html`<div class="toolbar" part="toolbar">
    <div class="switch" role="group" aria-label="Environment">
      <button part="button" aria-pressed=${state.environment === 'test'} @click=${() => state.onEnvironment('test')}>
        Test
      </button>
      <button
        part="button"
        aria-pressed=${state.environment === 'live'}
        ?disabled=${state.testOnly}
        @click=${() => state.onEnvironment('live')}
      >
        Live
      </button>
    </div>
    <input
      type="search"
      aria-label="Search by name"
      placeholder="Search by name"
      .value=${state.search}
      @input=${state.onSearch}
    />
    <span class="grow"></span>
    ${
      state.manage
        ? html`<button id="create" part="button" class="primary" @click=${state.onCreate}>Create API key</button>`
        : nothing
    }
  </div>`;
}

/** The key list of one environment. */
export function keyTable(
  environment: Environment,
  keys: readonly Key[],
  actionsOf: (key: Key) => RowActions,
): TemplateResult {
  const label = environment === 'live' ? 'Live' : 'Test';
  return html`<table part="table" aria-label="${label} API keys">
    <thead>
      <tr>
        <th scope="col">Name</th>
        <th scope="col">Key</th>
        <th scope="col">Role</th>
        <th scope="col">Created</th>
        <th scope="col">Last used</th>
        <th scope="col">Expires</th>
        <th scope="col">Status</th>
        <th scope="col">Actions</th>
      </tr>
    </thead>
    <tbody>
      ${
        keys.length === 0
          ? html`<tr>
              <td colspan="8" class="muted">No ${label.toLowerCase()} keys here yet.</td>
            </tr>`
          : keys.map((key) => keyRow(key, actionsOf(key)))
      }
    </tbody>
  </table>`;
}
