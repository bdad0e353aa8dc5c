import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The backend answered with something we cannot use (malformed, truncated, wrong type).
 *
 * Code: `E_PROVIDER_RESPONSE`.
 */
export class ProviderResponseError extends SecretsError {
  static readonly code = 'E_PROVIDER_RESPONSE';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_PROVIDER_RESPONSE', message, options);
  }
}
