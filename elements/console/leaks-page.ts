import { html, LitElement, nothing } from 'lit';
import { errorText, type ConsoleApi } from './api';
import { consoleStyles } from './look';
import type { KgEvents } from './events-page';
import './events-page';

/**
 * `<kg-leaks>`: report a key found where it should not be (`POST /v1/panel/leaks`; keygate
 * revokes a live one and records `key.leaked`) and the recent `key.leaked` events with their
 * source URLs. The found key is sent once and the field is cleared.
 */
export class KgLeaks extends LitElement {
  static override styles = consoleStyles;
  static override properties = {
    api: { attribute: false },
    result: { state: true },
    error: { state: true },
  };

  declare api: ConsoleApi;
  declare private result: string | undefined;
  declare private error: string | undefined;

  private async report(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const form = event.target as HTMLFormElement;
    const data = new FormData(form);
    const url = String(data.get('url') ?? '').trim();
    const key = String(data.get('key') ?? '');
    form.reset();
    try {
      const found = await this.api.call<{ label: string; keyId?: string; tenantId?: string; action?: string }>(
        'POST',
        '/v1/panel/leaks',
        { key, ...(url === '' ? {} : { url }) },
      );
      this.result = [found.label, found.tenantId, found.keyId, found.action]
        .filter((part) => part !== undefined)
        .join(' · ');
      this.error = undefined;
      await this.shadowRoot?.querySelector<KgEvents>('kg-events')?.load();
    } catch (error) {
      this.error = errorText(error);
    }
  }

  protected override render() {
    return html`<section aria-label="Leaks">
      <h2>Leaks</h2>
      <form aria-label="Report a leaked key" @submit=${this.report}>
        <label>Found key <input name="key" type="password" autocomplete="off" required /></label>
        <label>Where it was found (URL) <input name="url" type="url" /></label>
        <button type="submit">Report leak</button>
      </form>
      ${this.result === undefined ? nothing : html`<p role="status">Reported: ${this.result}</p>`}
      ${this.error === undefined ? nothing : html`<p role="alert" class="error">${this.error}</p>`}
      <kg-events .api=${this.api} type="key.leaked" heading="Recent leaks"></kg-events>
    </section>`;
  }
}

customElements.define('kg-leaks', KgLeaks);
