import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * Secrets were used before the preload loaded them. Start node with `-r @valuecanvas/secrets/register`.
 *
 * Code: `E_NOT_LOADED`.
 */
export class NotLoadedError extends SecretsError {
  static readonly code = 'E_NOT_LOADED';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_NOT_LOADED', message, options);
  }
}
