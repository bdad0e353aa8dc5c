import type { AccessContext } from './AccessContext';
import type { AuthorizeResult } from './AuthorizeResult';
import type { Permission } from './Permission';

/**
 * Anything that answers "may this actor do this on this tenant (and secret)?". A compiled {@link Policy} answers
 * synchronously; a custom resolver may answer with a promise. Callers keep the sync fast path with
 * `const r = authorizer.authorize(...); const result = r instanceof Promise ? await r : r;`.
 *
 * `name` omitted asks whether the permission is granted on the tenant for at least one name (used before
 * `list`, whose results must then be filtered name by name); every operation on a named secret passes the name.
 *
 * @example
 * ```ts
 * const authorizer: Authorizer = loadPolicyFile('policy.yaml');
 * ```
 */
export interface Authorizer {
  authorize(ctx: AccessContext, tenantId: string, permission: Permission, name?: string): AuthorizeResult | Promise<AuthorizeResult>;
}
