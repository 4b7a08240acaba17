import { css, html, LitElement, nothing, unsafeCSS, type PropertyValues } from 'lit';
import uPlot from 'uplot';
import uPlotCss from 'uplot/dist/uPlot.min.css';
import { consoleStyles } from './look';

/** The counts of a usage window or one of its buckets: denied is 401 and 403, throttled 429. */
export interface UsageCounts {
  readonly requests: number;
  readonly status2xx: number;
  readonly status3xx: number;
  readonly status4xx: number;
  readonly status5xx: number;
  readonly denied: number;
  readonly throttled: number;
}

/** What keygate's usage routes answer: the totals and every bucket of the window, oldest first. */
export interface UsageWindow {
  readonly from: string;
  readonly to: string;
  readonly granularity: 'hour' | 'day';
  readonly totals: UsageCounts;
  readonly series: readonly (UsageCounts & { readonly at: string })[];
}

/** The lines drawn, each with the class that colours its swatch and the custom property of its stroke. */
const LINES = [
  { count: 'requests', label: 'requests', colour: '--_accent', fallback: '#0a58ca' },
  { count: 'denied', label: 'refused', colour: '--_danger', fallback: '#b42318' },
  { count: 'throttled', label: 'throttled', colour: '--_warning', fallback: '#9a5b00' },
] as const;

const CHART_HEIGHT = 220;

/** Whole-number steps for the count axis, smallest first: a count is never 0.5. */
const COUNT_STEPS = Array.from({ length: 10 }, (_, power) => [1, 2, 5].map((step) => step * 10 ** power)).flat();

const HOUR_S = 3600;
const DAY_S = 24 * HOUR_S;
/** The time axis' steps: whole hours or whole days, never a tick between two buckets. */
const TIME_STEPS = {
  hour: [HOUR_S, 2 * HOUR_S, 3 * HOUR_S, 6 * HOUR_S, 12 * HOUR_S, DAY_S, 2 * DAY_S, 7 * DAY_S],
  day: [DAY_S, 2 * DAY_S, 7 * DAY_S, 14 * DAY_S, 28 * DAY_S],
} as const;

/** A tick of the time axis in UTC: the day (`12-03`) at midnight, else the hour (`14:00`). */
function tickLabel(seconds: number): string {
  const at = new Date(seconds * 1000).toISOString();
  return at.slice(11, 16) === '00:00' ? at.slice(5, 10) : at.slice(11, 16);
}

/**
 * `<kg-usage-chart>`: a usage window drawn by uPlot (requests, refused, throttled per bucket,
 * in UTC), with its text alternative: the caption, which names the figure, gives the totals, and
 * a table lists the buckets that had requests. The canvas is hidden from screen readers.
 */
export class KgUsageChart extends LitElement {
  static override styles = [
    consoleStyles,
    // uPlot's own stylesheet, adopted like the rest: the page CSP allows no <style> element.
    unsafeCSS(uPlotCss),
    css`
      :host {
        --_warning: var(--keygate-warning, #9a5b00);
      }
      figure {
        margin: 1em 0;
      }
      figcaption {
        margin-bottom: 0.5em;
      }
      .plot {
        width: 100%;
        min-height: ${CHART_HEIGHT}px;
      }
      .swatch {
        display: inline-block;
        width: 0.8em;
        height: 0.8em;
        margin: 0 0.3em 0 0.6em;
        border-radius: 2px;
        background: var(--_accent);
      }
      .swatch.denied {
        background: var(--_danger);
      }
      .swatch.throttled {
        background: var(--_warning);
      }
      details {
        margin-top: 0.5em;
      }
    `,
  ];
  static override properties = { usage: { attribute: false }, label: {} };

  /** The window to draw; nothing is drawn without one. */
  declare usage: UsageWindow | undefined;
  /** What the window is, for the caption: "usage-co, last 24 hours by hour". */
  declare label: string;
  #chart: uPlot | undefined;
  #resize: ResizeObserver | undefined;

  constructor() {
    super();
    this.label = 'Usage';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    if (this.hasUpdated) this.draw();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.#resize?.disconnect();
    this.#resize = undefined;
    this.#chart?.destroy();
    this.#chart = undefined;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('usage')) this.draw();
  }

  /** Draws the window again from scratch: its buckets, and so its x scale, change with it. */
  private draw(): void {
    this.#chart?.destroy();
    this.#chart = undefined;
    const plot = this.renderRoot.querySelector<HTMLElement>('.plot');
    if (plot === null || this.usage === undefined) return;
    const style = getComputedStyle(this);
    const colour = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
    const muted = colour('--_muted', '#57606a');
    const grid = { stroke: colour('--_border', '#d0d7de'), width: 1 };
    const series = this.usage.series;
    const step = TIME_STEPS[this.usage.granularity][0];
    this.#chart = new uPlot(
      {
        width: Math.max(plot.clientWidth, 320),
        height: CHART_HEIGHT,
        legend: { show: false },
        // buckets are UTC hours and days, as every time the console shows.
        tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), 'Etc/UTC'),
        scales: { y: { range: (_chart, _min, max) => [0, Math.max(max * 1.1, 1)] } },
        axes: [
          {
            stroke: muted,
            grid,
            ticks: grid,
            incrs: [...TIME_STEPS[this.usage.granularity]],
            values: (_chart, ticks) => ticks.map(tickLabel),
          },
          { stroke: muted, grid, ticks: grid, incrs: COUNT_STEPS },
        ],
        series: [
          {},
          ...LINES.map((line) => ({
            label: line.label,
            stroke: colour(line.colour, line.fallback),
            width: 2,
            points: { show: series.length <= 48 },
          })),
        ],
      },
      [
        series.map((point) => Date.parse(point.at) / 1000),
        ...LINES.map((line) => series.map((point) => point[line.count])),
      ],
      plot,
    );
    // one bucket (today) sits in the middle of its own width, with its tick, not on the scale's edge.
    if (series.length === 1) {
      const at = Date.parse(series[0]!.at) / 1000;
      this.#chart.setScale('x', { min: at - step / 2, max: at + step / 2 });
    }
    this.#resize ??= new ResizeObserver(() => {
      const width = Math.max(plot.clientWidth, 320);
      if (this.#chart !== undefined && this.#chart.width !== width)
        this.#chart.setSize({ width, height: CHART_HEIGHT });
    });
    this.#resize.observe(plot);
  }

  protected override render() {
    const usage = this.usage;
    return html`<figure>
      <figcaption>
        ${
          usage === undefined
            ? html`${this.label}: loading…`
            : html`${this.label}:
              ${LINES.map(
                (line, index) =>
                  html`<span class="swatch ${line.count}" aria-hidden="true"></span
                    ><span data-total=${line.count}>${usage.totals[line.count]} ${line.label}</span
                    >${index < LINES.length - 1 ? ',' : '.'}`,
              )}`
        }
      </figcaption>
      <div class="plot" aria-hidden="true"></div>
      ${usage === undefined ? nothing : bucketTable(usage)}
    </figure>`;
  }
}

/** The buckets with any request, as a table: what the chart shows, for a screen reader. */
function bucketTable(usage: UsageWindow) {
  const busy = usage.series.filter((point) => point.requests > 0);
  const unit = usage.granularity;
  return html`<details>
    <summary>Show as a table (${busy.length} ${busy.length === 1 ? unit : `${unit}s`} with requests)</summary>
    <table aria-label="Usage by ${unit}">
      <thead>
        <tr>
          <th scope="col">${unit === 'hour' ? 'Hour' : 'Day'} (UTC)</th>
          <th scope="col">Requests</th>
          <th scope="col">Refused</th>
          <th scope="col">Throttled</th>
        </tr>
      </thead>
      <tbody>
        ${busy.map(
          (point) =>
            html`<tr>
              <td>${usage.granularity === 'hour' ? point.at.slice(0, 16).replace('T', ' ') : point.at.slice(0, 10)}</td>
              <td>${point.requests}</td>
              <td>${point.denied}</td>
              <td>${point.throttled}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </details>`;
}

customElements.define('kg-usage-chart', KgUsageChart);
