// The cache of on-demand secret reads: the export list of this folder (re-exported by src/index.ts).
export { SecretCache, type CacheMeta, type CacheStaleEvent, type CacheStats, type CacheStatus, type SecretCacheOptions, type SecretLoader } from './SecretCache';
export { cacheKey } from './cacheKey';
export { parseCacheKey, type CacheKeyParts } from './parseCacheKey';
export { CACHE_MISS, type CacheMiss } from './cacheMiss';
export { CacheClosedError } from './CacheClosedError';
