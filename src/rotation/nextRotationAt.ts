import { createHash } from 'node:crypto';
import type { RotationPolicy } from './RotationPolicy';

const DAY = 86_400_000;

/**
 * When a secret is due for rotation under `policy`, given when its current version became current:
 * 1. base = last rotation + interval + jitter, where the jitter is a fraction of `jitterMs` derived from `key`
 *    (the secret's path) and the last rotation time, so every process computes the same instant;
 * 2. without a window, that is the answer; with one, the first instant at or after base inside a window;
 * 3. if that instant has passed and `now` is outside every window (a window was missed), the next window opening.
 * The secret is due when the result is at or before `now`.
 *
 * @example
 * ```ts
 * const at = nextRotationAt({ intervalMs: 86_400_000 }, lastRotatedAt, { key: 'tenants/acme/API_KEY', now: Date.now() });
 * const isDue = at.getTime() <= Date.now();
 * ```
 */
export function nextRotationAt(policy: RotationPolicy, lastRotatedAt: Date, options: { key: string; now: number }): Date {
  // 1.
  const last = lastRotatedAt.getTime();
  const jitter = policy.jitterMs ? Math.floor(fraction(`${options.key}\n${last}`) * policy.jitterMs) : 0;
  const base = last + policy.intervalMs + jitter;
  // 2.
  if (policy.window === undefined) return new Date(base);
  const at = firstInWindow(policy.window, base);
  // 3.
  if (at <= options.now && firstInWindow(policy.window, options.now) !== options.now) return new Date(firstInWindow(policy.window, options.now));
  return new Date(at);
}

/** A stable number in [0, 1) from a text (not a secret: a path and a time). */
function fraction(text: string): number {
  return createHash('sha256').update(text).digest().readUInt32BE(0) / 2 ** 32;
}

/** The first instant >= t inside a window. Windows open at `start` on the listed weekdays and may cross midnight. */
function firstInWindow(window: NonNullable<RotationPolicy['window']>, t: number): number {
  const [h, m] = window.start.split(':').map(Number) as [number, number];
  const startOffset = (h * 60 + m) * 60_000;
  const firstDay = Math.floor(t / DAY) - Math.ceil(window.durationMs / DAY);
  for (let day = firstDay; day <= firstDay + 16; day++) {
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    if (window.days && !window.days.includes(weekday)) continue;
    const opens = day * DAY + startOffset;
    if (t < opens + window.durationMs) return Math.max(t, opens);
  }
  return t; // unreachable for a valid window (days is non-empty)
}
