import type { Permission } from './Permission';

/**
 * One grant of a role: these permissions, on secrets matching `names` (all names when omitted), in tenants listed
 * in `tenants` (every tenant the actor may access when omitted).
 */
export interface GrantDefinition {
  permissions: Permission[];
  /** Secret-name patterns: the name alphabet plus `*` and `?`, e.g. `STRIPE_*`. Not allowed with `audit:read`. */
  names?: string[];
  /** Restricts the grant to these tenant ids. It never widens access: membership or `crossTenant` still applies. */
  tenants?: string[];
}

/** A role: what its holders may do, and optionally which tenants they belong to. */
export interface RoleDefinition {
  description?: string;
  /**
   * Platform role: its grants apply to every tenant (still narrowed by each grant's `tenants`), without
   * membership. Accesses that need it are reported with `crossTenant: true` and audited as such.
   */
  crossTenant?: boolean;
  /** Holders of this role are members of these tenants (role-based membership). */
  memberOf?: string[];
  grants: GrantDefinition[];
}

/**
 * The access policy as written in a YAML or JSON file (see docs/access-policy.md). Roles come from the request
 * context (the app's authentication); the policy says what each role grants and which tenants each actor
 * belongs to.
 *
 * @example
 * ```ts
 * const doc: PolicyDocument = {
 *   version: 1,
 *   roles: { billing: { grants: [{ permissions: ['secrets:read'], names: ['STRIPE_*'] }] } },
 *   members: { alice: ['acme'] },
 * };
 * ```
 */
export interface PolicyDocument {
  /** Format version; 1 (the default). */
  version?: 1;
  roles: Record<string, RoleDefinition>;
  /** Actor id -> tenant ids the actor is a member of. */
  members?: Record<string, string[]>;
}
