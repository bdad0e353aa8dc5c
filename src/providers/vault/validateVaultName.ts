import { InvalidSecretNameError } from '../../errors/InvalidSecretNameError';

/** Longest KV path (prefix + `/` + name) we accept. Vault has no documented limit; URLs and logs do. */
const MAX_VAULT_PATH_LENGTH = 512;

const SEGMENT = /^[A-Za-z0-9_.-]+$/;

/**
 * Throw {@link InvalidSecretNameError} unless `name` is a valid logical name for a Vault KV v2 path under
 * `prefix`: `/`-separated segments of `[A-Za-z0-9_.-]`, no empty segment (so no leading, trailing or double `/`),
 * no `.` or `..` segment, and at most {@link MAX_VAULT_PATH_LENGTH} characters with the prefix.
 * Checked before any request, so a bad name never reaches the server (nor its audit log).
 *
 * @example
 * ```ts
 * validateVaultName('db/PASSWORD', 'app'); // ok
 * validateVaultName('../x', 'app');        // throws E_INVALID_NAME
 * ```
 */
export function validateVaultName(name: string, prefix = ''): void {
  const problem = nameProblem(name, prefix);
  if (problem) {
    const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 80)) + (name.length > 80 ? '…' : '') : String(typeof name);
    throw new InvalidSecretNameError(
      `Invalid secret name ${shown} for Vault: ${problem}. Use '/'-separated segments of letters, digits, '_', '.' and '-'.`,
    );
  }
}

function nameProblem(name: unknown, prefix: string): string | undefined {
  if (typeof name !== 'string') return 'a name must be a string';
  if (name.length === 0) return 'the name is empty';
  const full = prefix ? `${prefix}/${name}` : name;
  if (full.length > MAX_VAULT_PATH_LENGTH) return `the path with its prefix is longer than ${MAX_VAULT_PATH_LENGTH} characters`;
  for (const segment of name.split('/')) {
    if (segment === '') return 'it has an empty segment (a leading, trailing or double "/")';
    if (segment === '.' || segment === '..') return 'a segment is "." or ".."';
    if (!SEGMENT.test(segment)) return 'a segment has a character outside [A-Za-z0-9_.-]';
  }
  return undefined;
}
