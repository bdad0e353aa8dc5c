import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The backend could not be reached or kept failing after retries (network, timeout, 5xx, throttling).
 *
 * Code: `E_PROVIDER_UNAVAILABLE`.
 */
export class ProviderUnavailableError extends SecretsError {
  static readonly code = 'E_PROVIDER_UNAVAILABLE';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_PROVIDER_UNAVAILABLE', message, options);
  }
}
