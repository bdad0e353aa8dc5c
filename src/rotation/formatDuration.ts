const UNITS: [string, number][] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1_000],
];

/**
 * The shortest exact stored form of a whole number of seconds (`86400000` -> `1d`); see parseDuration.
 *
 * @example
 * ```ts
 * formatDuration(5_400_000); // '90m'
 * ```
 */
export function formatDuration(ms: number): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms % 1_000 !== 0) throw new RangeError('durations are whole seconds');
  if (ms === 0) return '0s';
  for (const [unit, size] of UNITS) if (ms % size === 0) return `${ms / size}${unit}`;
  return `${ms / 1_000}s`;
}
