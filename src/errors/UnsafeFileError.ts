import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A file in the mount is not a regular file, or a symlink resolves outside the mount. Nothing from the mount was used.
 *
 * Code: `E_UNSAFE_FILE`.
 */
export class UnsafeFileError extends SecretsError {
  static readonly code = 'E_UNSAFE_FILE';

  constructor(message: string, options?: SecretsErrorOptions) {
    super('E_UNSAFE_FILE', message, options);
  }
}
