import type { WriteLimiter } from './WriteLimiter';

/**
 * At most `perSecond` writes per second, evenly spaced (no bursts: AWS counts 50 writes/s per region across
 * PutSecretValue, UpdateSecretVersionStage, TagResource and the other write APIs, and throttles beyond).
 * Each `acquire()` takes the next free slot, so concurrent callers are served in call order.
 *
 * @example
 * ```ts
 * const limiter = new WriteRateLimiter(50);
 * await limiter.acquire(); // then send one write
 * ```
 */
export class WriteRateLimiter implements WriteLimiter {
  readonly perSecond: number;
  readonly #interval: number;
  readonly #now: () => number;
  #next = 0;
  #acquired = 0;

  constructor(perSecond: number, now: () => number = () => performance.now()) {
    if (!(perSecond > 0)) throw new RangeError('WriteRateLimiter: perSecond must be a positive number');
    this.perSecond = perSecond;
    this.#interval = 1_000 / perSecond;
    this.#now = now;
  }

  /** How many writes were let through. */
  get acquired(): number {
    return this.#acquired;
  }

  async acquire(signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    const now = this.#now();
    const slot = Math.max(now, this.#next);
    this.#next = slot + this.#interval;
    this.#acquired++;
    const wait = slot - now;
    if (wait < 1) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(done, wait);
      function done() {
        signal?.removeEventListener('abort', abort);
        resolve();
      }
      function abort() {
        clearTimeout(timer);
        reject(signal?.reason);
      }
      signal?.addEventListener('abort', abort, { once: true });
    });
  }
}
