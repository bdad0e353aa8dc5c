/**
 * Separates the parts of a cache key (NUL). Forbidden inside the parts, so the encoding is injective and a
 * provider's or a path's keys can be matched by plain string prefix.
 *
 * @example
 * ```ts
 * key.startsWith(providerId + CACHE_KEY_SEPARATOR);
 * ```
 */
export const CACHE_KEY_SEPARATOR = '\u0000';
