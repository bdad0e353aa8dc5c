import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The backend refused our credentials (missing, expired, revoked or not permitted).
 *
 * Code: `E_PROVIDER_AUTH`.
 */
export class ProviderAuthError extends SecretsError {
  static readonly code = 'E_PROVIDER_AUTH';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_PROVIDER_AUTH', message, options);
  }
}
