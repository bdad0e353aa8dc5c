import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The backend has no such secret (or version). One shared error for every provider.
 *
 * Code: `E_NOT_FOUND`.
 */
export class SecretNotFoundError extends SecretsError {
  static readonly code = 'E_NOT_FOUND';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_NOT_FOUND', message, options);
  }
}
