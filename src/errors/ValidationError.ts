import { SecretsError, type SecretsErrorOptions } from './SecretsError';

/** One problem found while validating a snapshot: the secret's name and why, never its value. */
export interface ValidationProblem {
  name: string;
  reason: string;
}

/**
 * A snapshot failed validation against the schema (missing required secret, invalid format, unreadable file).
 * `problems` lists one entry per secret; nothing was swapped in.
 *
 * Code: `E_VALIDATION`.
 */
export class ValidationError extends SecretsError {
  static readonly code = 'E_VALIDATION';
  readonly problems: readonly ValidationProblem[];

  constructor(problems: readonly ValidationProblem[], options?: SecretsErrorOptions) {
    super(
      'E_VALIDATION',
      `${problems.length} secret(s) failed validation: ` + problems.map((p) => `${p.name}: ${p.reason}`).join('; '),
      options,
    );
    this.problems = problems;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), problems: this.problems };
  }
}
