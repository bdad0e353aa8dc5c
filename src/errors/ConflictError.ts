import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A concurrent change won (check-and-set mismatch, idempotency token reused with another value).
 *
 * Code: `E_CONFLICT`.
 */
export class ConflictError extends SecretsError {
  static readonly code = 'E_CONFLICT';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_CONFLICT', message, options);
  }
}
