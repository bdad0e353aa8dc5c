import { SecretsError, type SecretsErrorOptions } from './SecretsError';
import type { ValidationProblem } from './ValidationError';

/**
 * A setting (environment variable, option or URI) is missing or malformed. Fix the setting named in the message.
 *
 * Code: `E_CONFIG`.
 */
export class ConfigError extends SecretsError {
  static readonly code = 'E_CONFIG';

  /** Every problem when several settings are wrong at once (each names its setting), so all are reported. */
  readonly problems: readonly ValidationProblem[];

  constructor(message: string, options?: SecretsErrorOptions & { problems?: readonly ValidationProblem[] }) {
    super('E_CONFIG', message, options);
    this.problems = options?.problems ?? [];
  }
}
