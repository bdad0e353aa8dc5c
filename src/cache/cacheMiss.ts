/**
 * What {@link SecretCache.useSync} returns when it has no fresh value for the key (absent or expired), so that a
 * callback returning `undefined` stays distinguishable from a miss.
 *
 * @example
 * ```ts
 * const r = cache.useSync(key, (view) => sign(view));
 * if (r === CACHE_MISS) return cache.use(key, loader, (view) => sign(view));
 * ```
 */
export const CACHE_MISS: unique symbol = Symbol('@valuecanvas/secrets.CACHE_MISS');

/** The type of {@link CACHE_MISS}. */
export type CacheMiss = typeof CACHE_MISS;
