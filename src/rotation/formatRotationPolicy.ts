import { formatDuration } from './formatDuration';
import type { RotationPolicy } from './RotationPolicy';
import { validateRotationPolicy } from './validateRotationPolicy';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * The stored form of a policy: one line of `key=value` words that fits every backend's metadata (AWS tag values
 * allow only letters, digits, spaces and `_.:/=+-@`), e.g. `v1 every=30d window=02:00+2h days=sat/sun jitter=6h grace=24h`.
 * Validates first (ConfigError).
 *
 * @example
 * ```ts
 * formatRotationPolicy({ intervalMs: 7 * 86_400_000 }); // 'v1 every=1w'
 * ```
 */
export function formatRotationPolicy(policy: RotationPolicy): string {
  const p = validateRotationPolicy(policy);
  const words = ['v1', `every=${formatDuration(p.intervalMs)}`];
  if (p.window) {
    words.push(`window=${p.window.start}+${formatDuration(p.window.durationMs)}`);
    if (p.window.days) words.push(`days=${p.window.days.map((d) => DAY_NAMES[d]).join('/')}`);
  }
  if (p.jitterMs) words.push(`jitter=${formatDuration(p.jitterMs)}`);
  if (p.gracePeriodMs !== undefined) words.push(`grace=${formatDuration(p.gracePeriodMs)}`);
  return words.join(' ');
}
