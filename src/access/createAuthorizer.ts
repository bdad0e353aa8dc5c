import type { AccessContext } from './AccessContext';
import type { AuthorizeResult } from './AuthorizeResult';
import type { Authorizer } from './Authorizer';
import { isValidSecretName } from './isValidSecretName';
import { isValidTenantId } from './isValidTenantId';
import { PERMISSIONS, type Permission } from './Permission';
import { Policy } from './Policy';

/** A richer answer a resolver may give instead of a boolean, to report platform (cross-tenant) access. */
export interface AccessDecision {
  allowed: boolean;
  /** The access relies on platform rights over a tenant the actor is not a member of (audited as such). */
  crossTenant?: boolean;
}

/**
 * An app's own RBAC: return true (or `{ allowed: true, crossTenant }`) to allow. Called only with a valid tenant
 * id, a known permission and a valid name (or no name: "on at least one name"); anything but an explicit allow,
 * a throw or a rejection denies.
 */
export type AccessResolver = (
  ctx: AccessContext,
  tenantId: string,
  permission: Permission,
  name: string | undefined,
) => boolean | AccessDecision | Promise<boolean | AccessDecision>;

const PERMISSION_SET: ReadonlySet<string> = new Set(PERMISSIONS);
const ALLOWED: AuthorizeResult = Object.freeze({ allowed: true, crossTenant: false });
const ALLOWED_CROSS_TENANT: AuthorizeResult = Object.freeze({ allowed: true, crossTenant: true });

function toResult(answer: unknown, permission: string): AuthorizeResult {
  if (answer === true) return ALLOWED;
  if (typeof answer === 'object' && answer !== null && (answer as AccessDecision).allowed === true) {
    return (answer as AccessDecision).crossTenant === true ? ALLOWED_CROSS_TENANT : ALLOWED;
  }
  return { allowed: false, permission, reason: 'resolver-denied' };
}

/**
 * The authoriser the service uses: a compiled {@link Policy} as is (synchronous), or a resolver function wrapped
 * so that invalid input is denied before it is called and a throw or rejection denies (deny by default). The
 * result is synchronous whenever the resolver answers synchronously.
 *
 * @example
 * ```ts
 * const authz = createAuthorizer(async (ctx, tenant, permission) => rbac.can(ctx.actor.id, tenant, permission));
 * const r = authz.authorize(ctx, 'acme', 'secrets:read', 'STRIPE_KEY');
 * const result = r instanceof Promise ? await r : r;
 * ```
 */
export function createAuthorizer(source: Policy | AccessResolver): Authorizer {
  if (source instanceof Policy) return source;
  if (typeof source !== 'function') throw new TypeError('createAuthorizer needs a Policy or a resolver function.');
  const resolver = source;
  return {
    authorize(ctx: AccessContext, tenantId: string, permission: Permission, name?: string): AuthorizeResult | Promise<AuthorizeResult> {
      if (!PERMISSION_SET.has(permission)) return { allowed: false, permission: String(permission), reason: 'unknown-permission' };
      if (!isValidTenantId(tenantId)) return { allowed: false, permission, reason: 'invalid-tenant' };
      if (name !== undefined && !isValidSecretName(name)) return { allowed: false, permission, reason: 'invalid-name' };
      let answer: ReturnType<AccessResolver>;
      try {
        answer = resolver(ctx, tenantId, permission, name);
      } catch {
        return { allowed: false, permission, reason: 'resolver-error' };
      }
      if (typeof (answer as { then?: unknown } | null)?.then === 'function') {
        return Promise.resolve(answer).then(
          (value) => toResult(value, permission),
          (): AuthorizeResult => ({ allowed: false, permission, reason: 'resolver-error' }),
        );
      }
      return toResult(answer, permission);
    },
  };
}
