/** Longest secret name, in characters (all ASCII). */
export const SECRET_NAME_MAX_LENGTH = 128;

const SECRET_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Whether `value` is a valid secret name: ASCII `[A-Za-z0-9_.-]`, 1 to 128 characters, not starting with `.` or
 * `-`, no `..`. The non-throwing form of {@link validateSecretName}, for hot paths.
 *
 * @example
 * ```ts
 * isValidSecretName('STRIPE_KEY'); // true
 * isValidSecretName('..%2fetc'); // false
 * ```
 */
export function isValidSecretName(value: unknown): value is string {
  return typeof value === 'string' && SECRET_NAME.test(value) && !value.includes('..');
}
