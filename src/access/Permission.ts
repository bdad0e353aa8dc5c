/**
 * Every permission the access policy can grant. `secrets:read` covers `get` and `use`; `secrets:write` covers
 * `set`; `secrets:list` covers `list` and `versions`; `audit:read` covers reading the audit trail.
 *
 * @example
 * ```ts
 * PERMISSIONS.includes('secrets:read'); // true
 * ```
 */
export const PERMISSIONS = ['secrets:read', 'secrets:write', 'secrets:rotate', 'secrets:delete', 'secrets:list', 'audit:read'] as const;

/** One of {@link PERMISSIONS}. */
export type Permission = (typeof PERMISSIONS)[number];
