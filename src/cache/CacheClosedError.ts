import { SecretsError, type SecretsErrorOptions } from '../errors/SecretsError';

/**
 * The cache was closed (its values zeroed); reads through it are refused. Create a new cache, or stop using
 * this one before closing it.
 *
 * Code: `E_CACHE_CLOSED`.
 *
 * @example
 * ```ts
 * cache.close();
 * await cache.get(key, loader); // rejects with CacheClosedError
 * ```
 */
export class CacheClosedError extends SecretsError {
  static readonly code = 'E_CACHE_CLOSED';

  constructor(message = 'The secret cache is closed: its values were zeroed and it serves no reads. Create a new SecretCache.', options?: SecretsErrorOptions) {
    super('E_CACHE_CLOSED', message, options);
  }
}
