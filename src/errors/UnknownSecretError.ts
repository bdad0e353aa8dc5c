import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A secret name that is not in the schema (or not in the current snapshot) was asked for.
 *
 * Code: `E_UNKNOWN_SECRET`.
 */
export class UnknownSecretError extends SecretsError {
  static readonly code = 'E_UNKNOWN_SECRET';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_UNKNOWN_SECRET', message, options);
  }
}
