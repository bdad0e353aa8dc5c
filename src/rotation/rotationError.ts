import { RotationError } from '../errors/RotationError';
import { isSecretsError } from '../errors/SecretsError';
import { codeOf } from './codeOf';
import { ROTATION_STEPS, type RotationStep } from './RotationStep';

/**
 * The RotationError of a failed step: names the secret, the step (with its number), the cause's code and what
 * state the secret was left in. The cause is kept when it is one of ours (their messages never hold a value);
 * anything else (an app's verify error) is replaced by its class name, since its message could quote the value.
 *
 * @example
 * ```ts
 * throw rotationError('tenants/acme/API_KEY', 'verify', error, 'rolled back: version 3 is still current.');
 * ```
 */
export function rotationError(path: string, step: RotationStep, error: unknown, outcome: string): RotationError {
  const n = ROTATION_STEPS.indexOf(step as (typeof ROTATION_STEPS)[number]) + 1;
  const where = n > 0 ? `step ${n} (${step})` : step;
  const detail = isSecretsError(error) ? ` Cause: ${error.message}` : '';
  const cause = isSecretsError(error) ? error : new Error(`${nameOf(error)} (its message is withheld: it could quote a value)`);
  return new RotationError(step, `Rotation of "${path}" failed at ${where} with ${codeOf(error)}; ${outcome}${detail}`, { cause });
}

function nameOf(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z0-9_$.]{1,60}$/.test(name) ? name : typeof error;
}
