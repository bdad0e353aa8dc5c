import type { SecretsMetrics } from '../metrics/SecretsMetrics';
import type { AccessResolver } from '../access/createAuthorizer';
import type { Authorizer } from '../access/Authorizer';
import type { AuditTrail } from '../audit/AuditTrail';
import type { SecretCache, SecretCacheOptions } from '../cache/SecretCache';
import type { SecureArena } from '../memory/SecureArena';
import type { ProviderClient } from '../providers/Provider';
import type { ProviderRoutes } from './ProviderRoutes';

/**
 * Options of {@link createSecretsService}.
 *
 * @example
 * ```ts
 * const options: SecretsServiceOptions = {
 *   providers: await ProviderRegistry.withBuiltins().create(new URL('vault://vault:8200/secret')),
 *   policy: '/etc/app/policy.yaml',
 *   audit: new AuditTrail({ sink: { type: 'file', path: '/var/log/app/audit.jsonl' }, hmac, failClosed: true }),
 *   cache: { ttlMs: 60_000, maxStaleMs: 600_000 },
 *   environment: 'prod',
 *   prefix: 'valuecanvas',
 * };
 * ```
 */
export interface SecretsServiceOptions {
  /** One client for every tenant, or several with a routing (see {@link ProviderRoutes}). Not closed by the service. */
  providers: ProviderClient | ProviderRoutes;
  /**
   * Who may do what: a compiled Policy (or any Authorizer), a resolver function plugging in the app's own RBAC
   * (wrapped with createAuthorizer: deny by default, a throw denies), or the path of a YAML/JSON policy file.
   */
  policy: Authorizer | AccessResolver | string;
  /** The audit trail every call writes one event to. Not closed by the service. */
  audit: AuditTrail;
  /**
   * The cache of reads: a SecretCache (shared, not closed by the service), or options for one the service owns
   * (closed by `close()`). Default: a cache with the SecretCache defaults (5 minutes TTL, no stale serving).
   */
  cache?: SecretCache | SecretCacheOptions;
  /** Deployment environment, one path segment: `[A-Za-z0-9_-]`, 1-64 characters (e.g. `prod`, `staging`). */
  environment: string;
  /**
   * Leading segments of every tenant path: `/`-separated segments of `[A-Za-z0-9_.-]`, or `''` (the default) for
   * none. Adapters add their own URI prefix in front of it, so it need not repeat that one.
   */
  prefix?: string;
  /**
   * Locked memory for the copies `use` holds while a batched audit write is synced (`batch` durability only).
   * Default: a private arena, created on first need.
   */
  arena?: SecureArena;
  /**
   * Count the service's work in these metrics (prom-client): backend calls and latency (providers are wrapped with
   * `instrumentProvider`), cache hits / misses / stale, RBAC denials by permission, rotations ok / failed, audit
   * write failures. Labels never carry a value, a name or a tenant id.
   */
  metrics?: SecretsMetrics;
}
