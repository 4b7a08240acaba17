import { css } from 'lit';
import { styles } from '../styles';

/** The console's look: the keys page's, and a little layout of its own. */
export const consoleStyles = [
  styles,
  css`
    nav {
      display: flex;
      gap: 0.5em;
      align-items: center;
      border-bottom: 1px solid var(--_border);
      padding-bottom: 0.75em;
      margin-bottom: 1em;
    }
    nav button[aria-current='page'] {
      background: var(--_accent);
      color: var(--_accent-text);
    }
    form {
      display: flex;
      flex-wrap: wrap;
      gap: 0.75em;
      align-items: end;
      margin-bottom: 1em;
    }
    label {
      display: flex;
      flex-direction: column;
      gap: 0.25em;
    }
    dl {
      display: grid;
      grid-template-columns: max-content 1fr;
      gap: 0.25em 1em;
    }
    dt {
      color: var(--_muted);
    }
    section {
      margin-bottom: 1.5em;
    }
    .secret {
      font-family: ui-monospace, monospace;
      width: 44em;
    }
    .error {
      color: var(--_danger);
    }
    td,
    th {
      text-align: left;
      padding: 0.3em 0.6em;
    }
  `,
];
