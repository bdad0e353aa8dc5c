const BRAND = Symbol.for('@valuecanvas/secrets.SecretsError');

/** Options every {@link SecretsError} accepts. */
export interface SecretsErrorOptions {
  /** The underlying error, already sanitised (never a value). */
  cause?: unknown;
}

/**
 * Base class of every error this library throws. Each subclass is one failure kind with a stable `code`.
 * Messages name secrets and say what to do; they never contain a secret value.
 *
 * @example
 * ```ts
 * try { secrets.use('DB_PASSWORD', fn) } catch (e) { if (isSecretsError(e)) log.error({ code: e.code }) }
 * ```
 */
export class SecretsError extends Error {
  /** Stable machine-readable code, e.g. `E_FORBIDDEN`. */
  readonly code: string;

  constructor(code: string, message: string, options: SecretsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** Works across realms and duplicate copies of the package, unlike `instanceof`. */
  static is(value: unknown): value is SecretsError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }

  toJSON(): Record<string, unknown> {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** Type guard for any error of this library, across realms. */
export function isSecretsError(value: unknown): value is SecretsError {
  return SecretsError.is(value);
}
