/**
 * @valuecanvas/secrets — the public API.
 *
 * @example
 * ```ts
 * // node -r @valuecanvas/secrets/register app.js
 * import { secrets } from '@valuecanvas/secrets';
 * secrets.use('DB_PASSWORD', (password) => connect({ password }));
 * ```
 */
export { secrets, typedSecrets, type Register, type RegisteredName, type Secrets, type SecretsRejectedEvent, type SecretsRotatedEvent } from './api/Secrets';
export * from './errors';
export type { SecretName, SecretProperty, SecretsSchema } from './schema/SecretsSchema';
export { SECRET_FORMATS } from './schema/SchemaValidator';
export { SecureArena, type ArenaStats, type LockedSlice, type SecureArenaOptions } from './memory/SecureArena';
export { ProviderRegistry } from './providers/ProviderRegistry';
export type { FetchedSecret, GetManyResult, ProviderCapabilities, ProviderClient, ProviderFactory, VersionInfo } from './providers/Provider';
export { EXIT_CONFIG, EXIT_UNAVAILABLE } from './preload/exitCodes';
export { SecretsMetrics, type SecretsMetricsOptions } from './metrics/SecretsMetrics';
export { instrumentProvider } from './metrics/instrumentProvider';
export { observeSecrets } from './metrics/observeSecrets';
export { SecretCache, cacheKey, type CacheMeta, type SecretCacheOptions } from './cache';
export { AuditTrail, AuditHmac, auditReference, verifyAuditLog } from './audit';
export { Policy, parsePolicy, loadPolicyFile, createAuthorizer, PERMISSIONS, type Permission } from './access';
export { AtomicWriter } from './testing/AtomicWriter';
export { PerFileWriter } from './testing/PerFileWriter';
export * from './service';
