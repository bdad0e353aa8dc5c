import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A secret value is larger than the backend (or this library) accepts.
 *
 * Code: `E_VALUE_TOO_LARGE`.
 */
export class SecretTooLargeError extends SecretsError {
  static readonly code = 'E_VALUE_TOO_LARGE';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_VALUE_TOO_LARGE', message, options);
  }
}
