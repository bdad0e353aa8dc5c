import { inspect } from 'node:util';
import type { CacheStatus } from '../cache/SecretCache';

/**
 * A copy of a secret value in ordinary (unlocked, swappable) memory, as returned by `SecretsService.get`: the
 * price of a value that outlives a callback. Prefer `use`, which lends a view of locked memory instead.
 *
 * The bytes are reachable only through {@link bytes} / {@link text}: `String(copy)`, `JSON.stringify(copy)` and
 * `util.inspect(copy)` (so printing and loggers) print `[redacted]`. Call {@link dispose} as soon as the
 * value is no longer needed: it zeroes the bytes (strings made by `text()` cannot be zeroed).
 *
 * @example
 * ```ts
 * const key = await service.get(ctx, 'acme', 'STRIPE_KEY');
 * try { client = new Stripe(key.text()) } finally { key.dispose() }
 * ```
 */
export class SecretCopy {
  /** The provider's version id of this value. */
  readonly version: string;
  /** How the value was served: cache hit, miss (provider read) or stale (backend failing). */
  readonly cache: CacheStatus;
  #bytes: Buffer | undefined;

  /** Copies `view` (the caller's view stays as it is). */
  constructor(view: Uint8Array, meta: { version: string; cache: CacheStatus }) {
    // Buffer.alloc never hands out a slice of the shared pool, so dispose() zeroes the only copy.
    const bytes = Buffer.alloc(view.length);
    bytes.set(view);
    this.#bytes = bytes;
    this.version = meta.version;
    this.cache = meta.cache;
  }

  /** Whether dispose() was called. */
  get isDisposed(): boolean {
    return this.#bytes === undefined;
  }

  /** The bytes (not a copy: do not keep them past dispose()). Throws after dispose(). */
  bytes(): Buffer {
    if (this.#bytes === undefined) throw new TypeError('SecretCopy: the value was disposed; read it again.');
    return this.#bytes;
  }

  /** The value as text (a JS string: immutable, it cannot be zeroed). Throws after dispose(). */
  text(encoding: BufferEncoding = 'utf8'): string {
    return this.bytes().toString(encoding);
  }

  /** Zero the bytes. Idempotent. */
  dispose(): void {
    this.#bytes?.fill(0);
    this.#bytes = undefined;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return `SecretCopy [redacted] { version: ${JSON.stringify(this.version)}, cache: ${JSON.stringify(this.cache)} }`;
  }
}
