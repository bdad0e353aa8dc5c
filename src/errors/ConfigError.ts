import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A setting (environment variable, option or URI) is missing or malformed. Fix the setting named in the message.
 *
 * Code: `E_CONFIG`.
 */
export class ConfigError extends SecretsError {
  static readonly code = 'E_CONFIG';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_CONFIG', message, options);
  }
}
