import { InvalidSecretNameError } from '../errors/InvalidSecretNameError';
import { describeNameProblem } from './describeNameProblem';
import { isValidTenantId, TENANT_ID_MAX_LENGTH } from './isValidTenantId';

/**
 * Returns `value` if it is a valid tenant id, else throws InvalidSecretNameError naming the rule it breaks
 * (never quoting the value). Rules: ASCII `[A-Za-z0-9_-]` only, 1 to 64 characters, no leading `-`; so no `.`,
 * `..`, `/`, `\`, `%`, control characters, spaces or Unicode look-alikes. Call it before anything else happens.
 *
 * @example
 * ```ts
 * const tenant = validateTenantId(req.params.tenant); // throws E_INVALID_NAME on '../acme'
 * ```
 */
export function validateTenantId(value: unknown): string {
  if (isValidTenantId(value)) return value;
  const problem = describeNameProblem(value, { maxLength: TENANT_ID_MAX_LENGTH, extra: '-' }) ?? 'is invalid';
  throw new InvalidSecretNameError(`The tenant id ${problem}. Tenant ids use A-Z a-z 0-9 _ - only (1 to ${TENANT_ID_MAX_LENGTH} characters, not starting with -).`);
}
