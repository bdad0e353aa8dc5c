import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The `env:` source was configured while NODE_ENV is not `development` or `test` (production, any other value, or
 * unset). Mount the secrets or use a provider instead.
 *
 * Code: `E_ENV_IN_PRODUCTION`.
 */
export class EnvSourceForbiddenError extends SecretsError {
  static readonly code = 'E_ENV_IN_PRODUCTION';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_ENV_IN_PRODUCTION', message, options);
  }
}
