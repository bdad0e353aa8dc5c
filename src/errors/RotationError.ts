import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/**
 * A rotation step failed; the secret was rolled back to its state before the rotation (no pending version left).
 * `step` names the step that failed: generate, stage, verify, promote, grace or retire.
 *
 * Code: `E_ROTATION`.
 */
export class RotationError extends SecretsError {
  static readonly code = 'E_ROTATION';
  readonly step: string;

  constructor(step: string, message: string, options?: SecretsErrorOptions) {
    super('E_ROTATION', message, options);
    this.step = step;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), step: this.step };
  }
}
