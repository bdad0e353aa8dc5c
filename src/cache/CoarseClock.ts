/**
 * A clock read at most once per `resolutionMs`: the first read in a window calls `now()` and arms an unref'd timer
 * that forgets the value when the window ends. It exists for the cache's hit path, where one `Date.now()` (about
 * 30 ns) would cost more than the whole lookup. The price: an expiry may be seen up to `resolutionMs` late, and
 * later still while the event loop is blocked (the timer cannot fire), never early. Resolution 0 reads `now()`
 * every time (used with an injected clock in tests).
 *
 * @example
 * ```ts
 * const clock = new CoarseClock(Date.now, 10);
 * if (entry.expiresAt > clock.read()) serve(entry);
 * ```
 */
export class CoarseClock {
  readonly #now: () => number;
  readonly #resolutionMs: number;
  #cached = 0;
  #isCached = false;
  #timer: NodeJS.Timeout | undefined;
  readonly #forget = (): void => {
    this.#isCached = false;
    this.#timer = undefined;
  };

  constructor(now: () => number, resolutionMs: number) {
    this.#now = now;
    this.#resolutionMs = resolutionMs;
  }

  /** The time, at most `resolutionMs` old. */
  read(): number {
    if (this.#isCached) return this.#cached;
    const t = this.#now();
    if (this.#resolutionMs > 0) {
      this.#cached = t;
      this.#isCached = true;
      this.#timer = setTimeout(this.#forget, this.#resolutionMs);
      this.#timer.unref();
    }
    return t;
  }

  /** The exact time (for fills and the stale window); also refreshes the cached value. */
  exact(): number {
    const t = this.#now();
    if (this.#isCached) this.#cached = t;
    return t;
  }

  /** Drop the timer (on close). */
  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#forget();
  }
}
