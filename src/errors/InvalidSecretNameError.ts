import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A secret name, tenant id or path breaks the naming rules of this library or of the backend.
 *
 * Code: `E_INVALID_NAME`.
 */
export class InvalidSecretNameError extends SecretsError {
  static readonly code = 'E_INVALID_NAME';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_INVALID_NAME', message, options);
  }
}
