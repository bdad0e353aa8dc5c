import { ConflictError } from '../errors/ConflictError';
import { RotationError } from '../errors/RotationError';
import { isSecretsError } from '../errors/SecretsError';

/**
 * Whether a rotation failed because another rotation of the same secret was running or won the race (nothing of
 * this one was left behind). Callers usually treat it as "already being rotated", not as an outage.
 *
 * @example
 * ```ts
 * try { await rotator.rotate(path) } catch (e) { if (!isRotationConflict(e)) throw e }
 * ```
 */
export function isRotationConflict(error: unknown): boolean {
  return isSecretsError(error) && error.code === RotationError.code && isSecretsError(error.cause) && error.cause.code === ConflictError.code;
}
