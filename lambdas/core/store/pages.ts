import {
  paginateQuery,
  paginateScan,
  QueryCommand,
  ScanCommand,
  type DynamoDBDocumentClient,
  type QueryCommandInput,
  type QueryCommandOutput,
  type ScanCommandInput,
  type ScanCommandOutput,
} from '@aws-sdk/lib-dynamodb';

/** A stored item, or a start key, as plain JavaScript values. */
export type Item = Record<string, unknown>;

/** How each request of a paginated read is sized. */
export interface PageOptions {
  /**
   * The `Limit` of the next request, from how many items the read has returned so far.
   * @default - the input's own `Limit` on every request
   */
  readonly batch?: (read: number) => number;
}

/**
 * Every page of a query, in order, through lib-dynamodb's `paginateQuery`. The paginator reuses
 * one input object and moves its start key along; each request here gets a copy of its own, so a
 * request seen afterwards (in a log, or by a test's client mock) shows what was really sent.
 */
export async function* queryPages(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  options: PageOptions = {},
): AsyncGenerator<QueryCommandOutput> {
  let read = 0;
  const pages = paginateQuery(
    {
      client,
      withCommand: (command) => new QueryCommand({ ...(command.input as QueryCommandInput), ...sized(options, read) }),
    },
    { ...input },
  );
  for await (const page of pages) {
    read += page.Items?.length ?? 0;
    yield page;
  }
}

/** Every page of a scan, in order, through lib-dynamodb's `paginateScan`; as {@link queryPages}. */
export async function* scanPages(
  client: DynamoDBDocumentClient,
  input: ScanCommandInput,
): AsyncGenerator<ScanCommandOutput> {
  yield* paginateScan(
    { client, withCommand: (command) => new ScanCommand({ ...(command.input as ScanCommandInput) }) },
    { ...input },
  );
}

/** Every item a query returns, across its pages. */
export async function* queryItems(client: DynamoDBDocumentClient, input: QueryCommandInput): AsyncGenerator<Item> {
  for await (const page of queryPages(client, input)) yield* page.Items ?? [];
}

/** What one page of a listing reads. */
export interface ListingRead {
  /** The most items the page holds. */
  readonly limit: number;
  /**
   * The `Limit` of the next request, from how many items the page has read so far.
   * @default - one more than the page still lacks
   */
  readonly batch?: (read: number) => number;
  /**
   * The listing ends the page early, short (even empty) with a position to go on, once this holds
   * after a request: a filtered listing's bound on what one page may read.
   * @default - never: the page fills or the items run out
   */
  readonly exhausted?: (progress: { readonly scanned: number; readonly requests: number }) => boolean;
}

/** One page of a listing and where the next one starts. */
export interface ListingPage {
  /** At most `limit` items, in the query's order. */
  readonly items: Item[];
  /**
   * The next page starts after this: the page's last item when another item was read past it,
   * else the start key where an exhausted read stopped. Absent on the last page.
   */
  readonly after?: Item;
}

/**
 * Reads one page of a listing: items until one more than `limit` (the extra item is how the last
 * page is known to carry no cursor), the pages run out, or the read is exhausted. The query goes
 * round again only when DynamoDB stops short (its 1 MB page, or a filter that matched little).
 */
export async function readListing(
  client: DynamoDBDocumentClient,
  input: QueryCommandInput,
  read: ListingRead,
): Promise<ListingPage> {
  const raw: Item[] = [];
  let scanned = 0;
  let requests = 0;
  let start: Item | undefined;
  const batch = read.batch ?? ((sofar: number) => read.limit + 1 - sofar);
  for await (const page of queryPages(client, input, { batch })) {
    raw.push(...(page.Items ?? []));
    scanned += page.ScannedCount ?? 0;
    requests += 1;
    start = page.LastEvaluatedKey;
    if (raw.length > read.limit || start === undefined || read.exhausted?.({ scanned, requests }) === true) break;
  }
  const items = raw.slice(0, read.limit);
  const last = items[items.length - 1];
  if (raw.length > read.limit && last !== undefined) return { items, after: last };
  return start === undefined ? { items } : { items, after: start };
}

function sized(options: PageOptions, read: number): { Limit?: number } {
  return options.batch === undefined ? {} : { Limit: options.batch(read) };
}
