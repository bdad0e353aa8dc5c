import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A secret file is larger than the configured limit (SECRETS_MAX_FILE_BYTES).
 *
 * Code: `E_FILE_TOO_LARGE`.
 */
export class FileTooLargeError extends SecretsError {
  static readonly code = 'E_FILE_TOO_LARGE';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_FILE_TOO_LARGE', message, options);
  }
}
