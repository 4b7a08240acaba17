import { html, nothing, type TemplateResult } from 'lit';
import type { CreatedKey, Environment, Key, KeyEvent, Role } from './api';

/** What the one dialog of the component shows. */
export type DialogState =
  | { readonly kind: 'create' }
  | { readonly kind: 'secret'; readonly key: CreatedKey; readonly copied: boolean }
  | { readonly kind: 'confirm'; readonly action: 'revoke' | 'delete'; readonly key: Key }
  | { readonly kind: 'rotate'; readonly key: Key };

/** What a key row may do, per key. */
export interface RowActions {
  readonly manage: boolean;
  readonly eventsOpen: boolean;
  readonly events: readonly KeyEvent[] | 'loading' | undefined;
  onRevoke(): void;
  onEnable(): void;
  onDelete(): void;
  onRotate(): void;
  onEvents(): void;
}

const ROLE_NAMES: Record<Role, string> = {
  operator: 'Operator',
  owner: 'Owner',
  admin: 'Admin',
  developer: 'Developer',
  read_only: 'Read only',
};

/** `YYYY-MM-DD` from an instant, as UTC. */
const day = (iso: string): string => iso.slice(0, 10);
/** `YYYY-MM-DD hh:mm UTC` from an instant. */
const when = (iso: string): string => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

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
            <td colspan="8">${eventList(actions.events)}</td>
          </tr>`
        : nothing
    }`;
}

function eventList(events: readonly KeyEvent[] | 'loading' | undefined): TemplateResult {
  if (events === undefined || events === 'loading') return html`<span class="muted">Loading events…</span>`;
  if (events.length === 0) return html`<span class="muted">No events yet.</span>`;
  return html`<ul aria-label="Recent events">
    ${events.map(
      (event) =>
        html`<li>
          <code>${event.type}</code> · ${when(event.at)} ·
          ${event.actor.userId ?? event.actor.system ?? event.actor.keyId ?? ''}
        </li>`,
    )}
  </ul>`;
}

/** The create form: name, role up to the member's, expiry. */
export function createForm(
  roles: readonly Role[],
  environment: Environment,
  tomorrow: string,
  onSubmit: (event: SubmitEvent) => void,
  onCancel: () => void,
): TemplateResult {
  return html`<form @submit=${onSubmit}>
    <h2 id="dialog-title">Create API key</h2>
    <p class="muted">A ${environment === 'live' ? 'Live' : 'Test'} key.</p>
    <label for="name">Name</label>
    <input
      id="name"
      name="name"
      required
      maxlength="100"
      placeholder="Production Server"
      autocomplete="off"
      autofocus
    />
    <label for="role">Role</label>
    <select id="role" name="role">
      ${roles.map((role) => html`<option value=${role} ?selected=${role === 'developer'}>${ROLE_NAMES[role]}</option>`)}
    </select>
    <label for="expiry">Expires</label>
    <select id="expiry" name="expiry">
      <option value="7">In 7 days</option>
      <option value="30" selected>In 30 days</option>
      <option value="60">In 60 days</option>
      <option value="90">In 90 days</option>
      <option value="custom">On a custom date</option>
      <option value="never">Never</option>
    </select>
    <label for="expiresOn">Custom date (only with "On a custom date")</label>
    <input id="expiresOn" name="expiresOn" type="date" min=${tomorrow} />
    <div class="buttons">
      <button part="button" type="button" @click=${onCancel}>Cancel</button>
      <button part="button" class="primary" type="submit">Create</button>
    </div>
  </form>`;
}

/** The new key, shown once, with its copy button and the warning. */
export function secretView(state: Extract<DialogState, { kind: 'secret' }>, onCopy: () => void, onDone: () => void) {
  return html`<h2 id="dialog-title">Your new API key</h2>
    <p>${state.key.name}</p>
    <div class="secret" part="secret">
      <input readonly aria-label="New API key" .value=${state.key.key} />
      <button part="button" class="primary" autofocus @click=${onCopy}>Copy</button>
    </div>
    <p role="status">${state.copied ? 'Copied to the clipboard.' : ''}</p>
    <p class="warning" part="warning">Copy it now, you won't see it again: keygate keeps only a hash of it.</p>
    <div class="buttons"><button part="button" @click=${onDone}>Done</button></div>`;
}

/** Revoke and delete ask first, and say how they differ. */
export function confirmView(
  state: Extract<DialogState, { kind: 'confirm' }>,
  onConfirm: () => void,
  onCancel: () => void,
): TemplateResult {
  const revoke = state.action === 'revoke';
  return html`<h2 id="dialog-title">${revoke ? 'Revoke' : 'Delete'} “${state.key.name}”?</h2>
    <p>
      ${
        revoke
          ? 'Revoke stops the key at once. You can undo it later with Enable. To remove the key for good, use Delete.'
          : 'Delete is permanent: the key stops at once and cannot be enabled again. To stop it for now and keep the choice to turn it back on, use Revoke instead.'
      }
    </p>
    <div class="buttons">
      <button part="button" autofocus @click=${onCancel}>Cancel</button>
      <button part="button danger-button" class="danger primary" @click=${onConfirm}>
        ${revoke ? 'Revoke key' : 'Delete key'}
      </button>
    </div>`;
}

/** Rotate: a grace period for the old key, then the new key is shown once. */
export function rotateForm(
  state: Extract<DialogState, { kind: 'rotate' }>,
  onSubmit: (event: SubmitEvent) => void,
  onCancel: () => void,
): TemplateResult {
  return html`<form @submit=${onSubmit}>
    <h2 id="dialog-title">Rotate “${state.key.name}”</h2>
    <p>A new key takes its place, with the same name, role and expiry policy.</p>
    <label for="grace">Grace period for the old key</label>
    <select id="grace" name="grace" autofocus>
      <option value="0">None: it stops at once</option>
      <option value="1">1 hour</option>
      <option value="24" selected>24 hours</option>
      <option value="168">7 days</option>
    </select>
    <div class="buttons">
      <button part="button" type="button" @click=${onCancel}>Cancel</button>
      <button part="button" class="primary" type="submit">Rotate key</button>
    </div>
  </form>`;
}
