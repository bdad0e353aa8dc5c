import { SecretsError, type SecretsErrorOptions } from './SecretsError';
import type { ValidationProblem } from './ValidationError';

/** Options of {@link ProviderUnavailableError}. */
export interface ProviderUnavailableErrorOptions extends SecretsErrorOptions {
  /** The backend refused for load (AWS ThrottlingException, HTTP 429, a Vault rate-limit quota): wait and retry. */
  isThrottled?: boolean;
  /** One line per secret the backend could not answer for (names and reasons, never values). */
  problems?: readonly ValidationProblem[];
}

/**
 * The backend could not be reached or kept failing after retries (network, timeout, 5xx, sealed, throttling).
 * At start this is exit 69, never 78: the configuration and the data may be fine.
 *
 * Code: `E_PROVIDER_UNAVAILABLE`.
 */
export class ProviderUnavailableError extends SecretsError {
  static readonly code = 'E_PROVIDER_UNAVAILABLE';
  /** True when the backend throttled the caller (rate limit), as opposed to being down. */
  readonly isThrottled: boolean;
  /** Per-secret lines, when the backend answered some secrets and not others. */
  readonly problems: readonly ValidationProblem[] | undefined;

  constructor(message: string, options: ProviderUnavailableErrorOptions = {}) {
    super('E_PROVIDER_UNAVAILABLE', message, options.cause === undefined ? {} : { cause: options.cause });
    this.isThrottled = options.isThrottled === true;
    this.problems = options.problems;
  }

  /** Whether `error` is a throttling refusal (works across realms, like {@link SecretsError.is}). */
  static isThrottling(error: unknown): boolean {
    return SecretsError.is(error) && error.code === ProviderUnavailableError.code && (error as { isThrottled?: unknown }).isThrottled === true;
  }
}
