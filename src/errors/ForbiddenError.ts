import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * The actor lacks a permission for this tenant or secret. Thrown the same way whether or not the secret exists,
 * so it is no existence oracle. `permission` names what was missing.
 *
 * Code: `E_FORBIDDEN`.
 */
export class ForbiddenError extends SecretsError {
  static readonly code = 'E_FORBIDDEN';
  readonly permission: string;

  constructor(permission: string, message?: string, options?: SecretsErrorOptions) {
    super('E_FORBIDDEN', message ?? `Forbidden: missing permission ${permission}. Ask an administrator to grant it in the access policy.`, options);
    this.permission = permission;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), permission: this.permission };
  }
}
