/**
 * Paces backend writes: rotation awaits `acquire()` right before each write call (never before reads). See
 * {@link WriteRateLimiter}; {@link RotationScheduler.rotateDue} shares one per provider client.
 *
 * @example
 * ```ts
 * await rotator.rotate(path, { writeLimiter: new WriteRateLimiter(50) });
 * ```
 */
export interface WriteLimiter {
  acquire(signal?: AbortSignal): Promise<void>;
}
