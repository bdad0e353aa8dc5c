/** Longest tenant id, in characters (all ASCII). */
export const TENANT_ID_MAX_LENGTH = 64;

// The first character excludes '-', and '.' is not in the alphabet at all, so '..' and a leading '.' cannot occur.
const TENANT_ID = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

/**
 * Whether `value` is a valid tenant id: ASCII `[A-Za-z0-9_-]`, 1 to 64 characters, not starting with `-`.
 * The non-throwing form of {@link validateTenantId}, for hot paths.
 *
 * @example
 * ```ts
 * isValidTenantId('acme-eu'); // true
 * isValidTenantId('../acme'); // false
 * ```
 */
export function isValidTenantId(value: unknown): value is string {
  return typeof value === 'string' && TENANT_ID.test(value);
}
