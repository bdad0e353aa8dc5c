import { ConfigError } from '../errors/ConfigError';
import { parseDuration } from './parseDuration';
import type { RotationPolicy } from './RotationPolicy';
import { validateRotationPolicy } from './validateRotationPolicy';

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

/**
 * Read the stored form written by formatRotationPolicy. Throws ConfigError naming the word at fault (never more
 * than 40 characters of the text).
 *
 * @example
 * ```ts
 * parseRotationPolicy('v1 every=30d jitter=6h'); // { intervalMs: 2592000000, jitterMs: 21600000 }
 * ```
 */
export function parseRotationPolicy(text: string): RotationPolicy {
  const words = typeof text === 'string' ? text.trim().split(/\s+/) : [];
  if (words[0] !== 'v1') throw new ConfigError('A stored rotation policy must start with "v1".');
  const seen = new Set<string>();
  let interval: number | undefined;
  let window: { start: string; durationMs: number; days?: number[] } | undefined;
  let days: number[] | undefined;
  const policy: Partial<RotationPolicy> = {};
  for (const word of words.slice(1)) {
    const eq = word.indexOf('=');
    const key = eq > 0 ? word.slice(0, eq) : word;
    const value = eq > 0 ? word.slice(eq + 1) : '';
    const bad = () => new ConfigError(`Stored rotation policy has an invalid "${key.slice(0, 12)}" (${JSON.stringify(word.slice(0, 40))}).`);
    if (seen.has(key)) throw new ConfigError(`Stored rotation policy repeats "${key.slice(0, 12)}".`);
    seen.add(key);
    const duration = (): number => {
      const ms = parseDuration(value);
      if (ms === undefined) throw bad();
      return ms;
    };
    if (key === 'every') interval = duration();
    else if (key === 'jitter') policy.jitterMs = duration();
    else if (key === 'grace') policy.gracePeriodMs = duration();
    else if (key === 'window') {
      const m = /^(\d\d:\d\d)\+(\w+)$/.exec(value);
      const duration = m ? parseDuration(m[2] as string) : undefined;
      if (!m || duration === undefined) throw bad();
      window = { start: m[1] as string, durationMs: duration };
    } else if (key === 'days') {
      days = value.split('/').map((d) => DAY_NAMES.indexOf(d));
      if (days.some((d) => d < 0)) throw bad();
    } else throw new ConfigError(`Stored rotation policy has an unknown word "${key.slice(0, 12)}".`);
  }
  if (interval === undefined) throw new ConfigError('Stored rotation policy has no every=<duration>.');
  if (days !== undefined && window === undefined) throw new ConfigError('Stored rotation policy has days= without window=.');
  if (window && days) window.days = days;
  return validateRotationPolicy({ ...policy, intervalMs: interval, ...(window ? { window } : {}) });
}
