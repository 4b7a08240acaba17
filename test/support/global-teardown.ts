/** Stops the run's DynamoDB Local by its own handle, so no java process outlives jest. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__KEYGATE_DYNAMODB__?.stop();
}
