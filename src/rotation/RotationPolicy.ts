/**
 * When a secret is rotated, stored with the secret's own metadata (AWS: tag `vc-rotation`; Vault: custom_metadata
 * `vc_rotation`; Azure: tag `vc-rotation` on the current version). Times are UTC.
 *
 * A secret is due when `intervalMs` (plus its jitter) has passed since its current version became current, and
 * the clock is inside the maintenance window (if any). The jitter is derived from the secret's path and the time
 * of its last rotation, so every scheduler process computes the same due time.
 *
 * @example
 * ```ts
 * const policy: RotationPolicy = { intervalMs: 30 * 86_400_000, window: { start: '02:00', durationMs: 7_200_000, days: [0, 6] }, jitterMs: 6 * 3_600_000 };
 * ```
 */
export interface RotationPolicy {
  /** Rotate every this many milliseconds (`every=30d` in the stored form). At least one minute. */
  intervalMs: number;
  /** Only rotate inside this window (UTC). */
  window?: {
    /** `HH:MM`, 24-hour clock, UTC. */
    start: string;
    /** Length of the window, at least one minute, at most 7 days. */
    durationMs: number;
    /** Weekdays the window opens on, 0 = Sunday ... 6 = Saturday; default every day. */
    days?: number[];
  };
  /** Spread due times over up to this many milliseconds after the interval. Default 0. */
  jitterMs?: number;
  /** How long the previous version stays readable after a rotation. Default 24 h. */
  gracePeriodMs?: number;
}
