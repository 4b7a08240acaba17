import { html, type TemplateResult } from 'lit';
import type { CreatedKey, Environment, Key, Role } from './api';
import { ROLE_NAMES } from './list-view';

/** What the one dialog of the component shows. */
export type DialogState =
  | { readonly kind: 'create' }
  | { readonly kind: 'secret'; readonly key: CreatedKey; readonly copied: boolean }
  | { readonly kind: 'confirm'; readonly action: 'revoke' | 'delete'; readonly key: Key }
  | { readonly kind: 'rotate'; readonly key: Key };

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
