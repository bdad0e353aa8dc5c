import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * An access policy file or object is invalid.
 *
 * Code: `E_POLICY`.
 */
export class PolicyError extends SecretsError {
  static readonly code = 'E_POLICY';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_POLICY', message, options);
  }
}
