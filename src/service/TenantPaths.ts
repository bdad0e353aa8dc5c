import { isValidSecretName } from '../access/isValidSecretName';
import { isValidTenantId } from '../access/isValidTenantId';
import { ConfigError } from '../errors/ConfigError';

const PREFIX_SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/**
 * The tenant layout: `{prefix}/{environment}/tenants/{tenantId}/{name}` (without `{prefix}/` when the prefix is
 * empty), as a logical name handed to the provider adapter, which maps it to its backend's rules.
 *
 * Why no two tenants can meet: tenant ids are `[A-Za-z0-9_-]` and names `[A-Za-z0-9_.-]`, neither holds `/`, so
 * the tenant is exactly the segment after `tenants/` and a path belongs to one tenant only; a tenant's list prefix
 * ends in `/`, so `acme/` never matches `acme2/...`.
 *
 * @example
 * ```ts
 * const paths = new TenantPaths('valuecanvas', 'prod');
 * paths.secret('acme', 'STRIPE_KEY'); // 'valuecanvas/prod/tenants/acme/STRIPE_KEY'
 * ```
 */
export class TenantPaths {
  /** `{prefix}/{environment}/tenants/`. */
  readonly base: string;

  constructor(prefix: string, environment: string) {
    if (!isValidTenantId(environment)) {
      throw new ConfigError('SecretsService: environment must be one path segment of A-Z a-z 0-9 _ - (1-64 characters, not starting with -), e.g. "prod".');
    }
    if (typeof prefix !== 'string') throw new ConfigError('SecretsService: prefix must be a string ("" for none).');
    const trimmed = prefix.replace(/^\/+|\/+$/g, '');
    if (trimmed !== '' && !trimmed.split('/').every((s) => PREFIX_SEGMENT.test(s) && !s.includes('..'))) {
      throw new ConfigError('SecretsService: prefix must be /-separated segments of A-Z a-z 0-9 _ . - (no empty segment, none starting with . or -, no "..").');
    }
    this.base = `${trimmed === '' ? '' : trimmed + '/'}${environment}/tenants/`;
  }

  /** The logical path of a secret; both parts must be valid (the service validates them first). */
  secret(tenantId: string, name: string): string {
    return this.base + tenantId + '/' + name;
  }

  /** The list prefix of a tenant, ending in `/`. */
  tenant(tenantId: string): string {
    return this.base + tenantId + '/';
  }

  /** The secret name of a listed path of `tenantId`, or undefined when the path is not one of its secrets. */
  nameIn(tenantId: string, path: string): string | undefined {
    const prefix = this.tenant(tenantId);
    if (typeof path !== 'string' || !path.startsWith(prefix)) return undefined;
    const name = path.slice(prefix.length);
    return isValidSecretName(name) ? name : undefined;
  }
}
