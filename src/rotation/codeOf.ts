import { isSecretsError } from '../errors/SecretsError';

/**
 * The stable code of an error for events and reports (never its message, which may quote input).
 *
 * @example
 * ```ts
 * codeOf(new ConflictError('...')); // 'E_CONFLICT'
 * ```
 */
export function codeOf(error: unknown): string {
  return isSecretsError(error) ? error.code : 'E_UNEXPECTED';
}
