/**
 * Run `fn` over `items` with at most `limit` calls in flight; results keep the input order. Each result is
 * settled (a rejection does not stop the others), so a batch read can report per-item errors.
 *
 * @example
 * ```ts
 * const settled = await mapWithConcurrency(names, 16, (name) => client.get(name));
 * ```
 */
export async function mapWithConcurrency<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results = new Array<PromiseSettledResult<R>>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: 'fulfilled', value: await fn(items[i] as T, i) };
      } catch (reason) {
        results[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
