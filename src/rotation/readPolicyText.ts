import { isSecretsError } from '../errors/SecretsError';
import { parseRotationPolicy } from './parseRotationPolicy';
import type { RotationState } from './RotationState';

/**
 * The `policy` / `hasInvalidPolicy` fields of a RotationState from stored policy text (absent: neither).
 *
 * @example
 * ```ts
 * const state = { ...rest, ...readPolicyText(tags['vc-rotation']) };
 * ```
 */
export function readPolicyText(text: string | undefined): Pick<RotationState, 'policy' | 'hasInvalidPolicy'> {
  if (text === undefined || text === '') return {};
  try {
    return { policy: parseRotationPolicy(text) };
  } catch (error) {
    if (isSecretsError(error)) return { hasInvalidPolicy: true };
    throw error;
  }
}
