import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * An audit event could not be written, so the access was refused (fail-closed).
 *
 * Code: `E_AUDIT_WRITE`.
 */
export class AuditWriteError extends SecretsError {
  static readonly code = 'E_AUDIT_WRITE';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_AUDIT_WRITE', message, options);
  }
}
