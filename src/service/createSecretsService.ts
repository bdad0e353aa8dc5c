import type { Authorizer } from '../access/Authorizer';
import { createAuthorizer, type AccessResolver } from '../access/createAuthorizer';
import { loadPolicyFile } from '../access/loadPolicyFile';
import { Policy } from '../access/Policy';
import type { AuditAction } from '../audit/AuditEvent';
import { AuditTrail } from '../audit/AuditTrail';
import { SecretCache } from '../cache/SecretCache';
import { ConfigError } from '../errors/ConfigError';
import { SecretsError } from '../errors/SecretsError';
import { SecureArena } from '../memory/SecureArena';
import { ProviderRouter } from './ProviderRouter';
import type { ProviderRoutes } from './ProviderRoutes';
import type { ProviderClient } from '../providers/Provider';
import { instrumentProvider } from '../metrics/instrumentProvider';
import type { SecretsMetrics } from '../metrics/SecretsMetrics';
import { SecretsService } from './SecretsService';
import type { SecretsServiceOptions } from './SecretsServiceOptions';
import { TenantPaths } from './TenantPaths';

/**
 * Creates the multi-tenant {@link SecretsService}: checks every option (throwing ConfigError or PolicyError naming
 * the problem), loads the policy file when given a path, and creates the cache unless one is passed.
 *
 * @example
 * ```ts
 * const hmac = new AuditHmac({ keyFile: '/var/run/secrets/audit/key' });
 * const service = createSecretsService({
 *   providers: await ProviderRegistry.withBuiltins().create(new URL('aws://eu-west-1/')),
 *   policy: '/etc/app/policy.yaml',
 *   audit: new AuditTrail({ sink: { type: 'file', path: '/var/log/app/audit.jsonl' }, hmac, failClosed: true }),
 *   cache: { ttlMs: 60_000 },
 *   environment: 'prod',
 *   prefix: 'valuecanvas',
 * });
 * await service.use({ actor: { id: 'svc-billing', roles: ['billing'] }, requestId: 'r-1' }, 'acme', 'STRIPE_KEY', (key) => charge(key));
 * ```
 */
export function createSecretsService(options: SecretsServiceOptions): SecretsService {
  if (typeof options !== 'object' || options === null) {
    throw new ConfigError('createSecretsService needs { providers, policy, audit, environment, prefix?, cache? }.');
  }
  const paths = new TenantPaths(options.prefix ?? '', options.environment);
  const metrics = options.metrics;
  const providers = metrics ? instrumentProviders(options.providers, metrics) : options.providers;
  const router = new ProviderRouter(providers);
  const authorizer = toAuthorizer(options.policy);
  const trail = options.audit;
  if (!(trail instanceof AuditTrail)) throw new ConfigError('createSecretsService: audit must be an AuditTrail (see src/audit).');
  if (options.arena !== undefined && !(options.arena instanceof SecureArena)) throw new ConfigError('createSecretsService: arena must be a SecureArena.');
  const given = options.cache;
  const isCacheOwned = !(given instanceof SecretCache);
  if (isCacheOwned && given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new ConfigError('createSecretsService: cache must be a SecretCache or SecretCacheOptions.');
  }
  const cache = given instanceof SecretCache ? given : new SecretCache(given ?? {});
  if (cache.isClosed) throw new ConfigError('createSecretsService: the cache given is closed.');
  return new SecretsService({ paths, router, authorizer, trail, isBatch: isBatchTrail(trail), cache, isCacheOwned, arena: options.arena, ...(metrics ? { metrics } : {}) });
}

function instrumentProviders(providers: SecretsServiceOptions['providers'], metrics: SecretsMetrics): SecretsServiceOptions['providers'] {
  const routes = providers as ProviderRoutes;
  if (routes && typeof routes === 'object' && 'clients' in routes && routes.clients && typeof routes.clients === 'object') {
    return { ...routes, clients: Object.fromEntries(Object.entries(routes.clients).map(([k, c]) => [k, instrumentProvider(c, metrics)])) };
  }
  return instrumentProvider(providers as ProviderClient, metrics);
}

function toAuthorizer(policy: Authorizer | AccessResolver | string): Authorizer {
  if (typeof policy === 'string') return loadPolicyFile(policy);
  if (policy instanceof Policy) return policy;
  if (typeof policy === 'function') return createAuthorizer(policy);
  if (typeof policy === 'object' && policy !== null && typeof (policy as Authorizer).authorize === 'function') return policy;
  throw new ConfigError('createSecretsService: policy must be a Policy (or other Authorizer), a resolver function, or the path of a policy file.');
}

/**
 * Whether the trail syncs events in batches (then only `await trail.record()` may be used). AuditTrail does not
 * expose its durability, so this asks recordSync with an invalid action: in batch mode it throws ConfigError before
 * looking at the event; otherwise the event is rejected with TypeError (documented) before anything is written.
 * Either way nothing reaches the sink.
 */
function isBatchTrail(trail: AuditTrail): boolean {
  try {
    trail.recordSync({ actor: { id: 'probe', roles: [] }, action: '' as AuditAction, outcome: 'allowed' });
  } catch (error) {
    if (SecretsError.is(error) && error.code === ConfigError.code) return true;
    if (error instanceof TypeError) return false;
    throw error;
  }
  throw new ConfigError('createSecretsService: the audit trail accepted an invalid event; pass an AuditTrail.');
}
