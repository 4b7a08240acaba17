import type { Page } from './types';

/**
 * Every item of a listing, page after page, following `cursor` until a page comes without one.
 * Pages are fetched as the loop asks for items, so breaking out early fetches no more.
 */
export async function* eachItem<T, Q extends { readonly cursor?: string }>(
  query: Q,
  page: (query: Q) => Promise<Page<T>>,
): AsyncGenerator<T, void, undefined> {
  let cursor = query.cursor;
  do {
    const answer = await page(cursor === undefined ? query : { ...query, cursor });
    yield* answer.items;
    cursor = answer.cursor;
  } while (cursor !== undefined);
}
