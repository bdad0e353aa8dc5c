import { CACHE_KEY_SEPARATOR } from './cacheKeySeparator';

/** The parts of a cache key made by {@link cacheKey}. */
export interface CacheKeyParts {
  providerId: string;
  path: string;
  /** `''` = the current version. */
  version: string;
}

/**
 * Split a key made by {@link cacheKey} into its parts; `undefined` when the string is not such a key.
 *
 * @example
 * ```ts
 * parseCacheKey(cacheKey('aws://us-east-1/app', 'prod/tenants/acme/DB', 'v1')); // { providerId, path, version }
 * ```
 */
export function parseCacheKey(key: string): CacheKeyParts | undefined {
  if (typeof key !== 'string') return undefined;
  const first = key.indexOf(CACHE_KEY_SEPARATOR);
  if (first <= 0) return undefined;
  const second = key.indexOf(CACHE_KEY_SEPARATOR, first + 1);
  if (second < 0 || second === first + 1 || key.includes(CACHE_KEY_SEPARATOR, second + 1)) return undefined;
  return { providerId: key.slice(0, first), path: key.slice(first + 1, second), version: key.slice(second + 1) };
}
