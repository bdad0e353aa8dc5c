import type { ProviderClient } from '../providers/Provider';

/**
 * Several provider clients, and which one serves which tenant (e.g. one backend per tenant tier, or a dedicated
 * vault for a large customer). A tenant is served by `tenants[tenantId]` when listed (or by what the function
 * returns), else by `default`. Every name must be a key of `clients`; a tenant with no client fails its calls with
 * ConfigError (audited as failed).
 *
 * Routing must be stable: a tenant's secrets live in the backend that serves it, and the cache keys values by
 * client, so moving a tenant between clients never serves one backend's value for another.
 *
 * @example
 * ```ts
 * const providers: ProviderRoutes = {
 *   clients: { standard: awsClient, dedicated: vaultClient },
 *   tenants: { megacorp: 'dedicated' },
 *   default: 'standard',
 * };
 * ```
 */
export interface ProviderRoutes {
  /** Named clients; the names appear in nothing but this routing. */
  readonly clients: Readonly<Record<string, ProviderClient>>;
  /** Tenant id -> client name, or a synchronous function answering the same (undefined: use `default`). */
  readonly tenants?: Readonly<Record<string, string>> | ((tenantId: string) => string | undefined);
  /** The client of every tenant not routed otherwise. Without it, such tenants are refused with ConfigError. */
  readonly default?: string;
}
