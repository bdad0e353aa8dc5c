const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * Whether `name` is a logical secret name: `/`-separated, non-empty segments of `[A-Za-z0-9_.-]`, none of them
 * `.` or `..` (names also become file names in a mount).
 *
 * @example
 * ```ts
 * isLogicalName('app/DB_PASSWORD'); // true
 * isLogicalName('a//b'); // false
 * ```
 */
export function isLogicalName(name: string): boolean {
  if (name.length === 0) return false;
  return name.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
}
