import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * Secure memory could not be locked (RLIMIT_MEMLOCK too low) or allocated.
 *
 * Code: `E_MEMLOCK`.
 */
export class MemoryLockError extends SecretsError {
  static readonly code = 'E_MEMLOCK';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_MEMLOCK', message, options);
  }
}
