import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The mount could not be read as one consistent snapshot (missing directory, permissions, or it kept changing).
 *
 * Code: `E_MOUNT_READ`.
 */
export class MountReadError extends SecretsError {
  static readonly code = 'E_MOUNT_READ';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_MOUNT_READ', message, options);
  }
}
