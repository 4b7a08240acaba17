/** The floor of a cold start: a handler that does nothing, bundled like the others. */
export const handler = async (): Promise<Record<string, never>> => ({});
