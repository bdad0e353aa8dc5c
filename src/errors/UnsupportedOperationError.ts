import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The backend cannot do this operation (see the provider's capabilities).
 *
 * Code: `E_UNSUPPORTED`.
 */
export class UnsupportedOperationError extends SecretsError {
  static readonly code = 'E_UNSUPPORTED';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_UNSUPPORTED', message, options);
  }
}
