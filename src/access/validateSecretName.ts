import { InvalidSecretNameError } from '../errors/InvalidSecretNameError';
import { describeNameProblem } from './describeNameProblem';
import { isValidSecretName, SECRET_NAME_MAX_LENGTH } from './isValidSecretName';

/**
 * Returns `value` if it is a valid secret name, else throws InvalidSecretNameError naming the rule it breaks
 * (never quoting the name, which may be sensitive). Rules: ASCII `[A-Za-z0-9_.-]` only, 1 to 128 characters,
 * not starting with `.` or `-`, no `..`; so no `/`, `\`, `%`, control characters, spaces or Unicode look-alikes.
 *
 * @example
 * ```ts
 * validateSecretName('STRIPE_KEY'); // 'STRIPE_KEY'
 * validateSecretName('%2e%2e'); // throws E_INVALID_NAME
 * ```
 */
export function validateSecretName(value: unknown): string {
  if (isValidSecretName(value)) return value;
  const problem = describeNameProblem(value, { maxLength: SECRET_NAME_MAX_LENGTH, extra: '.-' }) ?? 'is invalid';
  throw new InvalidSecretNameError(
    `The secret name ${problem}. Secret names use A-Z a-z 0-9 _ . - only (1 to ${SECRET_NAME_MAX_LENGTH} characters, not starting with . or -, no "..").`,
  );
}
