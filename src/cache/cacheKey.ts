import { CACHE_KEY_SEPARATOR } from './cacheKeySeparator';
import { checkKeyPart } from './checkKeyPart';

/**
 * The cache key of one value: everything that selects it. `providerId` names the backend (the caller's choice,
 * e.g. the source URI without credentials), `path` is the logical path in it (a tenant is part of the path, so
 * tenants never share entries), `version` a backend version id or `''` for the current version.
 *
 * The parts are joined with NUL, which no part may contain: two different triples never give the same key,
 * and {@link SecretCache.invalidatePrefix} can match keys by plain string prefix.
 *
 * @example
 * ```ts
 * const key = cacheKey('vault://bao:8200/secret/app', 'prod/tenants/acme/DB_PASSWORD');
 * await cache.use(key, () => client.get('prod/tenants/acme/DB_PASSWORD'), (view) => connect(view));
 * ```
 */
export function cacheKey(providerId: string, path: string, version = ''): string {
  checkKeyPart(providerId, 'providerId', false);
  checkKeyPart(path, 'path', false);
  checkKeyPart(version, 'version', true);
  return providerId + CACHE_KEY_SEPARATOR + path + CACHE_KEY_SEPARATOR + version;
}
