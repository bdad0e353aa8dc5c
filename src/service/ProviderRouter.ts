import { isValidTenantId } from '../access/isValidTenantId';
import { ConfigError } from '../errors/ConfigError';
import type { ProviderClient } from '../providers/Provider';
import type { ProviderRoutes } from './ProviderRoutes';

/** The client serving one tenant, and the id its values are cached under. */
export interface ProviderRoute {
  /** The client's name in the routing (`default` for a single client). */
  readonly name: string;
  readonly client: ProviderClient;
  /**
   * The cache's provider id: unique per client object in this process, so two clients never share cache entries,
   * even when they are of the same scheme or two services share one cache.
   */
  readonly cacheId: string;
}

const ROUTE_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;
const PROVIDER_METHODS = ['get', 'getMany', 'currentVersion', 'put', 'listVersions', 'list', 'delete', 'health', 'close'] as const;

// One number per client object for the whole process (see ProviderRoute.cacheId).
const clientIds = new WeakMap<ProviderClient, number>();
let nextClientId = 1;

function cacheIdOf(client: ProviderClient): string {
  let id = clientIds.get(client);
  if (id === undefined) {
    id = nextClientId++;
    clientIds.set(client, id);
  }
  return `${String(client.scheme).replace(/[^a-z0-9+.-]/g, '')}#${id}`;
}

function isProviderClient(value: unknown): value is ProviderClient {
  const v = value as Record<string, unknown> | null;
  return typeof v === 'object' && v !== null && typeof v.scheme === 'string' && PROVIDER_METHODS.every((m) => typeof v[m] === 'function');
}

/**
 * Resolves which provider client serves a tenant: one client for all, or a {@link ProviderRoutes} table
 * (validated once, at construction: every named client exists, tenant ids are valid).
 *
 * @example
 * ```ts
 * const router = new ProviderRouter({ clients: { standard: aws, dedicated: vault }, tenants: { megacorp: 'dedicated' }, default: 'standard' });
 * router.route('megacorp').client === vault; // true
 * ```
 */
export class ProviderRouter {
  readonly #routes = new Map<string, ProviderRoute>();
  readonly #single: ProviderRoute | undefined;
  readonly #tenants: ReadonlyMap<string, ProviderRoute> | ((tenantId: string) => string | undefined) | undefined;
  readonly #default: ProviderRoute | undefined;

  constructor(providers: ProviderClient | ProviderRoutes) {
    if (isProviderClient(providers)) {
      this.#single = { name: 'default', client: providers, cacheId: cacheIdOf(providers) };
      this.#routes.set('default', this.#single);
      return;
    }
    const routes = providers as ProviderRoutes | undefined;
    if (typeof routes !== 'object' || routes === null || typeof routes.clients !== 'object' || routes.clients === null) {
      throw new ConfigError('SecretsService: providers must be a ProviderClient or { clients: { name: client }, tenants?, default? }.');
    }
    for (const [name, client] of Object.entries(routes.clients)) {
      if (!ROUTE_NAME.test(name)) throw new ConfigError('SecretsService: provider client names must be 1-64 characters of A-Z a-z 0-9 _ . : -.');
      if (!isProviderClient(client)) throw new ConfigError(`SecretsService: providers.clients.${name} is not a ProviderClient (scheme and the client methods).`);
      this.#routes.set(name, { name, client, cacheId: cacheIdOf(client) });
    }
    if (this.#routes.size === 0) throw new ConfigError('SecretsService: providers.clients is empty; give at least one client.');
    if (routes.default !== undefined) this.#default = this.#named(routes.default, 'providers.default');
    const tenants = routes.tenants;
    if (typeof tenants === 'function') this.#tenants = tenants;
    else if (tenants !== undefined) {
      if (typeof tenants !== 'object' || tenants === null) throw new ConfigError('SecretsService: providers.tenants must be a map of tenant id to client name, or a function.');
      const table = new Map<string, ProviderRoute>();
      for (const [tenantId, name] of Object.entries(tenants)) {
        if (!isValidTenantId(tenantId)) throw new ConfigError('SecretsService: providers.tenants has a key that is not a valid tenant id (A-Z a-z 0-9 _ -, 1-64 characters).');
        table.set(tenantId, this.#named(name, `providers.tenants.${tenantId}`));
      }
      this.#tenants = table;
    }
  }

  /** The route of a (valid) tenant id. Throws ConfigError when no client serves it. */
  route(tenantId: string): ProviderRoute {
    if (this.#single !== undefined) return this.#single;
    const tenants = this.#tenants;
    let route: ProviderRoute | undefined;
    if (typeof tenants === 'function') {
      const name = tenants(tenantId);
      route = name === undefined ? undefined : this.#routes.get(name);
      if (name !== undefined && route === undefined) throw new ConfigError('SecretsService: the tenant routing function returned a name that is not in providers.clients.');
    } else route = tenants?.get(tenantId);
    route ??= this.#default;
    if (route === undefined) throw new ConfigError('SecretsService: no provider client serves this tenant; route it in providers.tenants or set providers.default.');
    return route;
  }

  /** Every route, e.g. for health checks. */
  routes(): ProviderRoute[] {
    return [...this.#routes.values()];
  }

  #named(name: unknown, field: string): ProviderRoute {
    const route = typeof name === 'string' ? this.#routes.get(name) : undefined;
    if (route === undefined) throw new ConfigError(`SecretsService: ${field} names a client that is not in providers.clients.`);
    return route;
  }
}
