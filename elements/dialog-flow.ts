import { html, nothing, type LitElement, type ReactiveController, type TemplateResult } from 'lit';
import { ApiError, type Environment, type KeygateApi, type Role } from './api';
import { confirmView, createForm, rotateForm, secretView, type DialogState } from './dialogs';

/** What the dialogs need of the page that holds them. */
export interface DialogDeps {
  readonly api: KeygateApi;
  /** The environment a new key is made in. */
  environment(): Environment;
  /** The roles a new key may be given. */
  roles(): readonly Role[];
  /** Reads the list again, once a new key is put away. */
  reload(): void;
  /** Runs a confirmed change, and says on the page that it is done or what went wrong. */
  act(work: () => Promise<unknown>, done: string): void;
}

/**
 * The page's one modal dialog and its flows: create and rotate (the new key shown once, with its
 * copy button), and the confirmation of revoke and delete. It opens the native `<dialog>` the
 * host renders with {@link body}, puts the focus back where it was when it closes, and drops
 * the plaintext of a new key with its state.
 */
export class DialogFlow implements ReactiveController {
  #state: DialogState | undefined;
  #error: string | undefined;
  #changed = false;
  #opener: HTMLElement | undefined;

  constructor(
    private readonly host: LitElement,
    private readonly deps: DialogDeps,
  ) {
    host.addController(this);
  }

  /** Whether a dialog is open (the page's own error waits meanwhile). */
  get open(): boolean {
    return this.#state !== undefined;
  }

  /** Opens `state`, remembering the control that opened it. */
  show(state: DialogState): void {
    this.#opener = (this.host.renderRoot as ShadowRoot).activeElement as HTMLElement | undefined;
    this.#set(state);
  }

  hostUpdated(): void {
    if (!this.#changed) return;
    this.#changed = false;
    const dialog = this.host.renderRoot.querySelector('dialog');
    if (dialog === null) return;
    if (this.#state !== undefined) {
      if (!dialog.open) dialog.showModal();
      dialog.querySelector<HTMLElement>('[autofocus]')?.focus();
    } else if (dialog.open) {
      dialog.close();
    }
  }

  /** What the host's `<dialog>` holds. */
  body(): TemplateResult | typeof nothing {
    const state = this.#state;
    if (state === undefined) return nothing;
    const error = this.#error === undefined ? nothing : html`<p class="error" role="alert">${this.#error}</p>`;
    return html`${this.#view(state)}${error}`;
  }

  /** The host's `<dialog>` closed itself (Escape): its state, and any plaintext, goes with it. */
  onClosed = (): void => {
    if (this.#state === undefined) return;
    const wasSecret = this.#state.kind === 'secret';
    this.#close();
    if (wasSecret) this.deps.reload();
  };

  #view(state: DialogState): TemplateResult {
    switch (state.kind) {
      case 'create': {
        const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
        return createForm(this.deps.roles(), this.deps.environment(), tomorrow, this.#onCreate, this.#close);
      }
      case 'secret':
        return secretView(state, this.#onCopy, this.#onSecretDone);
      case 'confirm':
        return confirmView(state, this.#onConfirm, this.#close);
      case 'rotate':
        return rotateForm(state, this.#onRotate, this.#close);
    }
  }

  #set(state: DialogState | undefined, error?: string): void {
    this.#state = state;
    this.#error = error;
    this.#changed = true;
    this.host.requestUpdate();
  }

  #close = (): void => {
    this.#set(undefined);
    const opener = this.#opener;
    this.#opener = undefined;
    void this.host.updateComplete.then(() =>
      (opener?.isConnected ? opener : this.host.renderRoot.querySelector<HTMLElement>('#create'))?.focus(),
    );
  };

  #fail(error: unknown): void {
    this.#error = messageOf(error);
    this.host.requestUpdate();
  }

  #onCreate = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    const form = new FormData(event.target as HTMLFormElement);
    const expiry = String(form.get('expiry'));
    const expiresOn = String(form.get('expiresOn') ?? '');
    if (expiry === 'custom' && expiresOn === '') {
      this.host.renderRoot.querySelector<HTMLInputElement>('#expiresOn')?.focus();
      this.#error = 'Choose the custom date the key stops working on.';
      return this.host.requestUpdate();
    }
    try {
      const key = await this.deps.api.create({
        name: String(form.get('name')),
        environment: this.deps.environment(),
        role: String(form.get('role')) as Role,
        ...(expiry === 'custom' ? { expiresOn } : expiry === 'never' ? {} : { expiresInDays: Number(expiry) }),
      });
      this.#set({ kind: 'secret', key, copied: false });
    } catch (error) {
      this.#fail(error);
    }
  };

  #onRotate = async (event: SubmitEvent): Promise<void> => {
    event.preventDefault();
    if (this.#state?.kind !== 'rotate') return;
    const grace = Number(new FormData(event.target as HTMLFormElement).get('grace'));
    try {
      const key = await this.deps.api.rotate(this.#state.key.id, grace);
      this.#set({ kind: 'secret', key, copied: false });
    } catch (error) {
      this.#fail(error);
    }
  };

  #onCopy = async (): Promise<void> => {
    if (this.#state?.kind !== 'secret') return;
    const secret = this.#state;
    try {
      await navigator.clipboard.writeText(secret.key.key);
      if (this.#state === secret) {
        this.#state = { ...secret, copied: true };
        this.host.requestUpdate();
      }
    } catch {
      // no clipboard (a page served over plain http, a denied permission): select it for the member to copy.
      this.host.renderRoot.querySelector<HTMLInputElement>('.secret input')?.select();
      this.#error = 'The clipboard is not available here: the key is selected, copy it with Ctrl+C or ⌘C.';
      this.host.requestUpdate();
    }
  };

  #onSecretDone = (): void => {
    this.#close();
    this.deps.reload();
  };

  #onConfirm = (): void => {
    if (this.#state?.kind !== 'confirm') return;
    const { action, key } = this.#state;
    this.#close();
    const { api } = this.deps;
    this.deps.act(
      () => (action === 'revoke' ? api.setStatus(key.id, 'revoke') : api.remove(key.id)),
      action === 'revoke' ? `“${key.name}” is revoked.` : `“${key.name}” is deleted.`,
    );
  };
}

/** The words of a failed call for the page. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError)
    return error.status === 401 ? 'Your session has expired. Sign in again.' : error.message;
  return 'keygate could not be reached.';
}
