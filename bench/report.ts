/**
 * Figures, the way the benchmark reports them: a markdown table per section for people, and one
 * `bench: <name> <value>` line per figure for scripts. Nothing here asserts speed; only the
 * counted contracts (DynamoDB calls per authorization) can fail a run.
 */

/** One measured or derived number. */
export interface Figure {
  /** The name scripts grep for; keep it stable, since results files are compared by it. */
  readonly name: string;
  readonly value: number;
  /** Shown in the table only. */
  readonly unit: string;
  /** How it was measured, in a few words. */
  readonly note?: string;
}

/** A performance goal, checked against figures of the same run. */
export interface Goal {
  readonly goal: string;
  readonly measured: string;
  readonly met: boolean;
}

/** Collects the run's figures, in the order they were measured. */
export class Report {
  readonly figures = new Map<string, Figure>();
  readonly contractFailures: string[] = [];

  add(name: string, value: number, unit: string, note?: string): number {
    this.figures.set(name, { name, value, unit, ...(note === undefined ? {} : { note }) });
    return value;
  }

  get(name: string): number {
    const figure = this.figures.get(name);
    if (figure === undefined) throw new Error(`no figure named ${name} was measured`);
    return figure.value;
  }

  has(name: string): boolean {
    return this.figures.has(name);
  }

  /** A counted contract: recorded as a figure, and a failed run when it does not hold. */
  contract(name: string, value: number, expected: number, what: string): void {
    this.add(name, value, 'calls', `contract: ${expected} (${what})`);
    if (value !== expected) this.contractFailures.push(`${name} is ${value}, the contract says ${expected}: ${what}`);
  }

  /** Prints the figures named as one table. */
  table(title: string, names: readonly string[]): void {
    console.log(`\n### ${title}\n`);
    console.log('| figure | value | unit | how |');
    console.log('| --- | --- | --- | --- |');
    for (const name of names) {
      const figure = this.figures.get(name);
      if (figure === undefined) continue;
      console.log(`| \`${figure.name}\` | ${format(figure.value)} | ${figure.unit} | ${figure.note ?? ''} |`);
    }
  }

  /** One line per figure, for scripts: `bench: <name> <value>`. */
  lines(): void {
    console.log('');
    for (const figure of this.figures.values()) console.log(`bench: ${figure.name} ${machine(figure.value)}`);
  }
}

/** Prints goals as a table. */
export function printGoals(goals: readonly Goal[]): void {
  console.log('\n### Goals (ratios from this run)\n');
  console.log('| goal | measured | met |');
  console.log('| --- | --- | --- |');
  for (const goal of goals) console.log(`| ${goal.goal} | ${goal.measured} | ${goal.met ? 'yes' : 'no'} |`);
}

/** Prints rows as a markdown table. */
export function printTable(
  title: string,
  header: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): void {
  console.log(`\n### ${title}\n`);
  console.log(`| ${header.join(' | ')} |`);
  console.log(`| ${header.map(() => '---').join(' | ')} |`);
  for (const row of rows)
    console.log(`| ${row.map((cell) => (typeof cell === 'number' ? format(cell) : cell)).join(' | ')} |`);
}

/** A number for people: few significant digits, thousands grouped. */
export function format(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : abs >= 0.01 ? 3 : 6;
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** A number for scripts: no grouping, at most four decimals. */
function machine(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toFixed(4)));
}

/** The p-th percentile (nearest rank) of samples. */
export function percentile(samples: readonly number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

/** `BENCH_QUICK=1` shrinks every loop: for developing the benchmark, not for its figures. */
export const QUICK = process.env.BENCH_QUICK === '1';

/** `full` in a real run, `quick` under `BENCH_QUICK=1`. */
export const size = (full: number, quick: number): number => (QUICK ? quick : full);
