import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * `config.get` was asked for a secret (`sensitive: true` or a `secret*` format). Secrets stay behind
 * `secrets.use`; `config` gives only settings.
 *
 * Code: `E_SECRET_VIA_CONFIG`.
 */
export class SecretViaConfigError extends SecretsError {
  static readonly code = 'E_SECRET_VIA_CONFIG';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_SECRET_VIA_CONFIG', message, options);
  }
}
