import { ConfigError } from '../errors/ConfigError';
import type { RotationPolicy } from './RotationPolicy';

const WEEK = 7 * 86_400_000;
const MAX_INTERVAL = 3_650 * 86_400_000;

/**
 * Check a policy and return a normalised copy (days sorted and de-duplicated, defaults left out). Throws
 * ConfigError naming the field.
 *
 * @example
 * ```ts
 * validateRotationPolicy({ intervalMs: 86_400_000, jitterMs: 0 }); // { intervalMs: 86400000 }
 * ```
 */
export function validateRotationPolicy(policy: RotationPolicy): RotationPolicy {
  if (typeof policy !== 'object' || policy === null) throw new ConfigError('A rotation policy must be an object with intervalMs.');
  const whole = (ms: unknown) => typeof ms === 'number' && Number.isSafeInteger(ms) && ms % 1_000 === 0;
  if (!whole(policy.intervalMs) || policy.intervalMs < 60_000 || policy.intervalMs > MAX_INTERVAL) {
    throw new ConfigError('Rotation policy intervalMs must be whole seconds between 1 minute and 3650 days.');
  }
  const out: RotationPolicy = { intervalMs: policy.intervalMs };
  if (policy.jitterMs !== undefined && policy.jitterMs !== 0) {
    if (!whole(policy.jitterMs) || policy.jitterMs < 0 || policy.jitterMs > policy.intervalMs) {
      throw new ConfigError('Rotation policy jitterMs must be whole seconds, at least 0 and at most intervalMs.');
    }
    out.jitterMs = policy.jitterMs;
  }
  if (policy.gracePeriodMs !== undefined) {
    if (!whole(policy.gracePeriodMs) || policy.gracePeriodMs < 0 || policy.gracePeriodMs > MAX_INTERVAL) {
      throw new ConfigError('Rotation policy gracePeriodMs must be whole seconds between 0 and 3650 days.');
    }
    out.gracePeriodMs = policy.gracePeriodMs;
  }
  if (policy.window !== undefined) {
    const w = policy.window;
    if (typeof w !== 'object' || w === null || typeof w.start !== 'string' || !/^([01]\d|2[0-3]):[0-5]\d$/.test(w.start)) {
      throw new ConfigError('Rotation policy window.start must be HH:MM (UTC, 00:00-23:59).');
    }
    if (!whole(w.durationMs) || w.durationMs < 60_000 || w.durationMs > WEEK) {
      throw new ConfigError('Rotation policy window.durationMs must be whole seconds between 1 minute and 7 days.');
    }
    out.window = { start: w.start, durationMs: w.durationMs };
    if (w.days !== undefined) {
      if (!Array.isArray(w.days) || w.days.length === 0 || !w.days.every((d) => Number.isInteger(d) && d >= 0 && d <= 6)) {
        throw new ConfigError('Rotation policy window.days must be a non-empty list of weekdays 0 (Sunday) to 6 (Saturday).');
      }
      const days = [...new Set(w.days)].sort((a, b) => a - b);
      if (days.length < 7) out.window.days = days;
    }
  }
  return out;
}
