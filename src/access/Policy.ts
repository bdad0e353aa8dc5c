import type { AccessContext } from './AccessContext';
import type { AuthorizeResult, DenyReason } from './AuthorizeResult';
import type { Authorizer } from './Authorizer';
import { compileNamePatterns, type NameMatcher } from './compileNamePatterns';
import { isValidSecretName } from './isValidSecretName';
import { isValidTenantId } from './isValidTenantId';
import { PERMISSIONS, type Permission } from './Permission';
import type { PolicyDocument } from './PolicyDocument';
import { validatePolicyDocument } from './validatePolicyDocument';

interface CompiledGrant {
  readonly tenants: ReadonlySet<string> | undefined;
  readonly names: NameMatcher | undefined;
}

interface CompiledRole {
  readonly crossTenant: boolean;
  readonly memberOf: ReadonlySet<string>;
  /** Indexed by permission index; undefined when the role does not grant that permission at all. */
  readonly byPermission: readonly (readonly CompiledGrant[] | undefined)[];
}

const PERMISSION_INDEX: ReadonlyMap<string, number> = new Map(PERMISSIONS.map((p, i) => [p, i]));
const ALLOWED: AuthorizeResult = Object.freeze({ allowed: true, crossTenant: false });
const ALLOWED_CROSS_TENANT: AuthorizeResult = Object.freeze({ allowed: true, crossTenant: true });
const NO_MEMBERS: ReadonlySet<string> = new Set();

/** Frozen deny results, one per (permission, reason), so denials allocate nothing either. */
const DENIALS = new Map<string, AuthorizeResult>();
function deny(permission: string, reason: DenyReason): AuthorizeResult {
  const key = `${reason}\u0000${permission}`;
  let result = DENIALS.get(key);
  if (result === undefined) {
    result = Object.freeze({ allowed: false, permission, reason });
    // Unknown permissions come from callers; only cache the known ones so the map stays bounded.
    if (PERMISSION_INDEX.has(permission)) DENIALS.set(key, result);
  }
  return result;
}

/**
 * A compiled access policy: deny by default, allow when some role of the actor has a grant of the permission
 * that applies to the tenant and matches the name. A grant applies to a tenant when its `tenants` list (if any)
 * includes it and either the actor is a member of the tenant (`members`, or `memberOf` of one of its roles) or
 * the role is a platform role (`crossTenant: true`). Only the second case reports `crossTenant: true`.
 *
 * Validated and compiled once (globs to RegExp, lists to Sets); {@link Policy.authorize} is synchronous and
 * allocation-free, well under a microsecond.
 *
 * @example
 * ```ts
 * const policy = new Policy({ roles: { billing: { grants: [{ permissions: ['secrets:read'], names: ['STRIPE_*'] }] } }, members: { alice: ['acme'] } });
 * policy.authorize({ actor: { id: 'alice', roles: ['billing'] } }, 'acme', 'secrets:read', 'STRIPE_KEY'); // { allowed: true, crossTenant: false }
 * ```
 */
export class Policy implements Authorizer {
  /** The validated, normalised document (a copy; frozen). */
  readonly document: Readonly<PolicyDocument>;
  readonly #roles = new Map<string, CompiledRole>();
  readonly #members = new Map<string, ReadonlySet<string>>();

  /**
   * Validates `document` (throws PolicyError naming the field) and compiles it. Use parsePolicy or
   * loadPolicyFile for text, so errors also carry line numbers.
   */
  constructor(document: PolicyDocument | unknown, options: { source?: string } = {}) {
    const doc = validatePolicyDocument(document, options);
    this.document = deepFreeze(doc);
    for (const [name, role] of Object.entries(doc.roles)) {
      const byPermission: CompiledGrant[][] = PERMISSIONS.map(() => []);
      for (const grant of role.grants) {
        const compiled: CompiledGrant = {
          tenants: grant.tenants === undefined ? undefined : new Set(grant.tenants),
          names: grant.names === undefined ? undefined : compileNamePatterns(grant.names),
        };
        for (const permission of new Set(grant.permissions)) byPermission[PERMISSION_INDEX.get(permission) as number]?.push(compiled);
      }
      this.#roles.set(name, {
        crossTenant: role.crossTenant === true,
        memberOf: role.memberOf === undefined ? NO_MEMBERS : new Set(role.memberOf),
        byPermission: byPermission.map((grants) => (grants.length === 0 ? undefined : grants)),
      });
    }
    for (const [actor, tenants] of Object.entries(doc.members ?? {})) this.#members.set(actor, new Set(tenants));
  }

  /**
   * May `ctx.actor` use `permission` on `tenantId` (and on the secret `name`)? Without `name`: is the permission
   * granted on the tenant for at least one name (filter `list` results name by name afterwards). Invalid tenant
   * ids, names and actors are denied, never thrown.
   */
  authorize(ctx: AccessContext, tenantId: string, permission: Permission, name?: string): AuthorizeResult {
    const p = PERMISSION_INDEX.get(permission);
    if (p === undefined) return deny(String(permission), 'unknown-permission');
    if (!isValidTenantId(tenantId)) return deny(permission, 'invalid-tenant');
    if (name !== undefined && !isValidSecretName(name)) return deny(permission, 'invalid-name');
    const actor = ctx?.actor;
    const roles = actor?.roles;
    if (typeof actor?.id !== 'string' || !Array.isArray(roles)) return deny(permission, 'invalid-actor');
    let isMember: boolean | undefined;
    let isCrossTenantAllowed = false;
    for (let i = 0; i < roles.length; i++) {
      const role = this.#roles.get(roles[i] as string);
      const grants = role?.byPermission[p];
      if (role === undefined || grants === undefined) continue;
      for (let j = 0; j < grants.length; j++) {
        const grant = grants[j] as CompiledGrant;
        if (grant.tenants !== undefined && !grant.tenants.has(tenantId)) continue;
        if (name !== undefined && grant.names !== undefined && !grant.names.matches(name)) continue;
        isMember ??= this.#isMember(actor.id, roles, tenantId);
        if (isMember) return ALLOWED;
        if (role.crossTenant) isCrossTenantAllowed = true;
      }
    }
    if (isCrossTenantAllowed) return ALLOWED_CROSS_TENANT;
    return deny(permission, this.#denyReason(actor.id, roles, tenantId, p));
  }

  #isMember(actorId: string, roles: readonly string[], tenantId: string): boolean {
    if (this.#members.get(actorId)?.has(tenantId) === true) return true;
    for (let i = 0; i < roles.length; i++) {
      if (this.#roles.get(roles[i] as string)?.memberOf.has(tenantId) === true) return true;
    }
    return false;
  }

  /** Slow path, denials only: the most specific reason, from the actor's own grants (no secret is consulted). */
  #denyReason(actorId: string, roles: readonly string[], tenantId: string, p: number): DenyReason {
    const isMember = this.#isMember(actorId, roles, tenantId);
    let hasGrant = false;
    for (const roleName of roles) {
      const role = this.#roles.get(roleName);
      const grants = role?.byPermission[p];
      if (role === undefined || grants === undefined) continue;
      hasGrant = true;
      for (const grant of grants) {
        if ((isMember || role.crossTenant) && (grant.tenants === undefined || grant.tenants.has(tenantId))) return 'name-not-granted';
      }
    }
    return hasGrant ? 'tenant-not-granted' : 'no-grant';
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
