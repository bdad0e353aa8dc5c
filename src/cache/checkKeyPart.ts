import { CACHE_KEY_SEPARATOR } from './cacheKeySeparator';

/**
 * Throw a TypeError naming the part (never its content) when `part` cannot be part of a cache key: not a
 * string, empty where that is not allowed, or holding the separator (NUL).
 *
 * @example
 * ```ts
 * checkKeyPart(path, 'path', false);
 * ```
 */
export function checkKeyPart(part: unknown, label: string, isEmptyAllowed: boolean): void {
  if (typeof part !== 'string') throw new TypeError(`cacheKey: ${label} must be a string.`);
  if (!isEmptyAllowed && part.length === 0) throw new TypeError(`cacheKey: ${label} must not be empty.`);
  if (part.includes(CACHE_KEY_SEPARATOR)) throw new TypeError(`cacheKey: ${label} must not contain a NUL character.`);
}
