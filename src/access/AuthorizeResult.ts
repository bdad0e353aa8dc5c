
/**
 * Why an access was denied. A fixed vocabulary, safe to write to the audit trail in clear; none of them tells
 * whether a secret exists.
 *
 * - `unknown-permission`: not one of PERMISSIONS.
 * - `invalid-tenant` / `invalid-name`: the tenant id or secret name breaks the naming rules.
 * - `invalid-actor`: the context has no usable actor (id and roles).
 * - `no-grant`: no role of the actor grants the permission at all.
 * - `tenant-not-granted`: grants exist, but none applies to this tenant (not a member, no cross-tenant role,
 *   or the grant's `tenants` list excludes it).
 * - `name-not-granted`: grants apply to this tenant, but none matches the secret name.
 * - `resolver-denied` / `resolver-error`: a custom resolver said no, or threw (deny by default).
 */
export type DenyReason =
  | 'unknown-permission'
  | 'invalid-tenant'
  | 'invalid-name'
  | 'invalid-actor'
  | 'no-grant'
  | 'tenant-not-granted'
  | 'name-not-granted'
  | 'resolver-denied'
  | 'resolver-error';

/**
 * The answer of an authorisation check. `crossTenant` is true when the access is allowed only through a role with
 * `crossTenant: true` (an operator using platform rights on a tenant it is not a member of); record it in the
 * audit event.
 *
 * @example
 * ```ts
 * const r = policy.authorize(ctx, 'acme', 'secrets:read', 'STRIPE_KEY');
 * if (!r.allowed) throw new ForbiddenError(r.permission);
 * ```
 */
export type AuthorizeResult =
  | { readonly allowed: true; readonly crossTenant: boolean }
  | { readonly allowed: false; readonly permission: string; readonly reason: DenyReason };
