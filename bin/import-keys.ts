import { createReadStream, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { IDEMPOTENCY_LOCK_MS } from '../lambdas/core/http/idempotency';
import { importKeyItemSchema, MAX_IMPORT_KEYS } from '../lambdas/core/http/schemas/imports';

/** The `import` lines of `keygate-admin`'s usage. */
export const IMPORT_KEYS_USAGE = `  import --tenant <id> --file <keys.jsonl> --url <api url>
                              imports existing keys, one JSON object a line (the items of
                              POST /v1/panel/tenants/{id}/keys/import), in batches of 100 over
                              the API with the operator key in KEYGATE_OPERATOR_KEY (never a
                              flag: flags show in process listings). resumable: the lines done
                              are kept in --progress (default <file>.progress) and a new run goes
                              on from there. --dry-run checks every line and sends nothing.
                              prints a line per batch done and a summary; refused lines by
                              number, never their keys.`;

/** Where the command writes: the summary on `stdout`, each refused line on `stderr`. */
export interface ImportOutput {
  stdout(text: string): void;
  stderr(text: string): void;
}

/** What a run did, line by line of the file. */
export interface ImportSummary {
  imported: number;
  duplicate: number;
  invalid: number;
  /** Lines skipped because an earlier run had done them. */
  skipped: number;
}

interface Options {
  readonly tenant: string;
  readonly file: string;
  readonly url: string;
  readonly progress: string;
  readonly dryRun: boolean;
  readonly operatorKey: string;
}

/**
 * `keygate-admin import`: streams a file of keys of any size into a tenant through the import
 * route, so each key gets the route's checks, dedup and event. Progress is written after each
 * batch; each batch carries an `Idempotency-Key` of the file and its first line, so a batch sent
 * again after a kill is answered as before (or its keys reported as duplicates), never stored twice.
 */
export async function importKeysCommand(
  args: readonly string[],
  out: ImportOutput = {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  },
  env: NodeJS.ProcessEnv = process.env,
): Promise<ImportSummary> {
  const options = parseOptions(args, env);
  const done = existsSync(options.progress) ? Number(readFileSync(options.progress, 'utf8').trim()) : 0;
  if (!Number.isInteger(done) || done < 0) throw new Error(`${options.progress} does not hold a line count`);
  const summary: ImportSummary = { imported: 0, duplicate: 0, invalid: 0, skipped: 0 };
  const fileId = createHash('sha256').update(`${options.tenant}\n${options.file}`).digest('hex').slice(0, 16);
  let batch: { line: number; item: unknown }[] = [];
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const first = batch[0]?.line ?? 0;
    const last = batch.at(-1)?.line ?? 0;
    const lines = batch;
    batch = [];
    if (!options.dryRun) {
      const results = await sendImportBatch(
        options,
        options.tenant,
        lines.map((entry) => entry.item),
        `import-${fileId}-${first}`,
      );
      const counts = { imported: 0, duplicate: 0, invalid: 0 };
      for (const [index, result] of results.entries()) {
        counts[result.status] += 1;
        summary[result.status] += 1;
        if (result.status === 'invalid')
          out.stderr(`line ${lines[index]?.line}: ${result.error?.code}: ${result.error?.message}\n`);
      }
      writeFileSync(options.progress, `${last}\n`);
      // after the progress file, so a line printed is a batch a new run will not send again.
      out.stdout(
        `lines ${first}-${last} done: imported ${counts.imported}, duplicate ${counts.duplicate}, invalid ${counts.invalid}\n`,
      );
    }
  };
  let line = 0;
  const reader = createInterface({ input: createReadStream(options.file, 'utf8'), crlfDelay: Infinity });
  for await (const text of reader) {
    line += 1;
    if (line <= done) {
      summary.skipped += 1;
      continue;
    }
    if (text.trim() === '') continue;
    const item = parseLine(text);
    const checked = item === undefined ? undefined : importKeyItemSchema.safeParse(item);
    if (options.dryRun) {
      if (checked?.success === true) summary.imported += 1;
      else {
        summary.invalid += 1;
        out.stderr(`line ${line}: not a valid key item\n`);
      }
      continue;
    }
    // a line that is not JSON is refused here; any other item the route decides, as its own.
    if (item === undefined) {
      summary.invalid += 1;
      out.stderr(`line ${line}: not a JSON object\n`);
      continue;
    }
    batch.push({ line, item });
    if (batch.length === MAX_IMPORT_KEYS) await flush();
  }
  await flush();
  if (!options.dryRun && line > done) writeFileSync(options.progress, `${line}\n`);
  const verb = options.dryRun ? 'dry run: would import' : 'imported';
  out.stdout(
    `${verb} ${summary.imported}, duplicate ${summary.duplicate}, invalid ${summary.invalid}, ` +
      `skipped ${summary.skipped} lines done before\n`,
  );
  return summary;
}

function parseLine(text: string): unknown {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** One item's outcome as the import route answers it, in the batch's order. */
export interface ImportItemResult {
  readonly index: number;
  readonly status: 'imported' | 'duplicate' | 'invalid';
  readonly keyId?: string;
  readonly error?: { readonly code: string; readonly message: string };
}

/** Where the import route is, and the operator key that calls it. */
export interface ImportApi {
  readonly url: string;
  readonly operatorKey: string;
}

/** The import route refused a batch as a whole (an unknown tenant, a bad operator key, an outage). */
export class ImportBatchRefused extends Error {
  constructor(
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** How long a batch answered "in progress" is sent again for: past the claim's lock, the claim lapses. */
const IN_PROGRESS_RETRY_MS = IDEMPOTENCY_LOCK_MS + 10_000;

/**
 * Sends one batch of at most 100 items to `POST /v1/panel/tenants/{tenantId}/keys/import`, the
 * one place keys are checked, hashed and stored, and answers its per-item results. Under an
 * `Idempotency-Key`, a 409 means the same batch of a run killed a moment ago is still being
 * stored: it is sent again after a pause until the route replays that run's answer (or, once the
 * claim has lapsed, reports its keys as duplicates).
 *
 * @throws ImportBatchRefused when the route answers anything but 200 with results.
 */
export async function sendImportBatch(
  api: ImportApi,
  tenant: string,
  keys: readonly unknown[],
  idempotencyKey?: string,
): Promise<ImportItemResult[]> {
  const path = `/v1/panel/tenants/${encodeURIComponent(tenant)}/keys/import`;
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    const response = await fetch(`${api.url.replace(/\/$/, '')}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${api.operatorKey}`,
        'content-type': 'application/json',
        ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
      },
      body: JSON.stringify({ keys }),
    });
    const body = (await response.json().catch(() => ({}))) as {
      results?: ImportItemResult[];
      error?: { code: string; message: string };
    };
    if (response.status === 200 && body.results !== undefined) return body.results;
    if (response.status === 409 && idempotencyKey !== undefined && Date.now() - started < IN_PROGRESS_RETRY_MS) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1_000 * attempt, 5_000)));
      continue;
    }
    throw new ImportBatchRefused(
      response.status,
      body.error?.code,
      `the API answered ${response.status}: ${body.error?.message ?? 'no results'}; run again to resume`,
    );
  }
}

function parseOptions(args: readonly string[], env: NodeJS.ProcessEnv): Options {
  const value = (name: string): string | undefined => {
    const index = args.indexOf(`--${name}`);
    return index >= 0 ? args[index + 1] : undefined;
  };
  const required = (name: string, given: string | undefined): string => {
    if (given === undefined || given === '') throw new Error(`import needs --${name}`);
    return given;
  };
  const file = required('file', value('file'));
  const dryRun = args.includes('--dry-run');
  const operatorKey = env.KEYGATE_OPERATOR_KEY ?? '';
  if (!dryRun && operatorKey === '') throw new Error('import needs the operator key in KEYGATE_OPERATOR_KEY');
  return {
    tenant: required('tenant', value('tenant')),
    file,
    url: dryRun ? (value('url') ?? '') : required('url', value('url')),
    progress: value('progress') ?? `${file}.progress`,
    dryRun,
    operatorKey,
  };
}
