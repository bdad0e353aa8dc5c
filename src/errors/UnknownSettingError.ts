import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * `config.get` was asked for a path the schema does not declare.
 *
 * Code: `E_UNKNOWN_SETTING`.
 */
export class UnknownSettingError extends SecretsError {
  static readonly code = 'E_UNKNOWN_SETTING';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_UNKNOWN_SETTING', message, options);
  }
}
