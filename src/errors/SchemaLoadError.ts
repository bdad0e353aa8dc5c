import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The schema module named by SECRETS_SCHEMA could not be loaded or is not a convict schema object.
 *
 * Code: `E_SCHEMA_LOAD`.
 */
export class SchemaLoadError extends SecretsError {
  static readonly code = 'E_SCHEMA_LOAD';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_SCHEMA_LOAD', message, options);
  }
}
