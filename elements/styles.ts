import { css } from 'lit';

/**
 * The component's look, themed by the host through these custom properties (each with a
 * default) and the `part`s the templates name: `toolbar`, `table`, `button`, `danger-button`,
 * `dialog`, `secret`, `warning`, `events`.
 */
export const styles = css`
  :host {
    --_font: var(--keygate-font, system-ui, sans-serif);
    --_text: var(--keygate-text, #1f2328);
    --_muted: var(--keygate-muted, #57606a);
    --_bg: var(--keygate-background, #ffffff);
    --_surface: var(--keygate-surface, #f6f8fa);
    --_border: var(--keygate-border, #d0d7de);
    --_accent: var(--keygate-accent, #0a58ca);
    --_accent-text: var(--keygate-accent-text, #ffffff);
    --_danger: var(--keygate-danger, #b42318);
    --_radius: var(--keygate-radius, 6px);
    display: block;
    font-family: var(--_font);
    color: var(--_text);
    background: var(--_bg);
    font-size: 14px;
  }
  h2 {
    font-size: 1.25em;
    margin: 0 0 0.75em;
  }
  .toolbar {
    display: flex;
    flex-wrap: wrap;
    gap: 0.75em;
    align-items: center;
    margin-bottom: 0.75em;
  }
  .switch {
    display: inline-flex;
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    overflow: hidden;
  }
  .switch button {
    border: 0;
    border-radius: 0;
  }
  .switch button[aria-pressed='true'] {
    background: var(--_accent);
    color: var(--_accent-text);
  }
  .grow {
    flex: 1;
  }
  button,
  input,
  select {
    font: inherit;
    color: inherit;
  }
  button {
    background: var(--_surface);
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.35em 0.8em;
    cursor: pointer;
  }
  button.primary {
    background: var(--_accent);
    border-color: var(--_accent);
    color: var(--_accent-text);
  }
  button.danger {
    color: var(--_danger);
  }
  button.danger.primary {
    background: var(--_danger);
    border-color: var(--_danger);
    color: #ffffff;
  }
  button:focus-visible,
  input:focus-visible,
  select:focus-visible {
    outline: 2px solid var(--_accent);
    outline-offset: 2px;
  }
  input,
  select {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 0.35em 0.5em;
    background: var(--_bg);
  }
  table {
    width: 100%;
    border-collapse: collapse;
  }
  th,
  td {
    text-align: left;
    padding: 0.5em;
    border-bottom: 1px solid var(--_border);
    vertical-align: top;
    white-space: nowrap;
  }
  th {
    color: var(--_muted);
    font-weight: 600;
  }
  td.name {
    white-space: normal;
    overflow-wrap: anywhere;
    max-width: 16em;
  }
  code {
    font-family: ui-monospace, monospace;
  }
  .actions {
    display: flex;
    flex-wrap: wrap;
    gap: 0.35em;
  }
  .status-revoked,
  .status-expired {
    color: var(--_danger);
  }
  .muted {
    color: var(--_muted);
  }
  .pages {
    display: flex;
    gap: 0.5em;
    justify-content: flex-end;
    margin-top: 0.75em;
  }
  .error {
    color: var(--_danger);
    margin: 0.5em 0;
  }
  dialog {
    border: 1px solid var(--_border);
    border-radius: var(--_radius);
    padding: 1.25em;
    max-width: 32em;
    color: var(--_text);
    background: var(--_bg);
  }
  dialog::backdrop {
    background: rgb(0 0 0 / 40%);
  }
  label {
    display: block;
    margin: 0.75em 0 0.25em;
    font-weight: 600;
  }
  form input,
  form select {
    width: 100%;
    box-sizing: border-box;
  }
  .buttons {
    display: flex;
    gap: 0.5em;
    justify-content: flex-end;
    margin-top: 1.25em;
  }
  .secret {
    display: flex;
    gap: 0.5em;
    align-items: center;
  }
  .secret input {
    flex: 1;
    font-family: ui-monospace, monospace;
  }
  .warning {
    background: #fff8c5;
    color: #4d2d00;
    border: 1px solid #d4a72c;
    border-radius: var(--_radius);
    padding: 0.5em 0.75em;
  }
  .events ul {
    margin: 0;
    padding-left: 1.25em;
  }
`;
