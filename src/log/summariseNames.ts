import type { Logger } from 'pino';

/** How many names an info/warn/error record lists before it only counts the rest. */
export const NAMES_IN_SUMMARY = 10;

/** A long list of names as a log field: the count and the first names (the whole list when it is short). */
export interface NameSummary<T> {
  count: number;
  /** The first {@link NAMES_IN_SUMMARY} entries (all of them when there are no more). */
  first: T[];
  /** How many are not listed in `first`. */
  more: number;
}

/**
 * Summarise a list for a log record (a line per record stays short at 5,000 secrets).
 *
 * @example
 * ```ts
 * summariseNames(['A', 'B']); // { count: 2, first: ['A', 'B'], more: 0 }
 * ```
 */
export function summariseNames<T>(items: readonly T[]): NameSummary<T> {
  const first = items.slice(0, NAMES_IN_SUMMARY);
  return { count: items.length, first, more: items.length - first.length };
}

/**
 * Log `msg` at `level` with `field` summarised; when the list is longer than the summary, log the full list in a
 * second record at debug level (only built when debug is enabled).
 *
 * @example
 * ```ts
 * logWithNames(log, 'info', 'names', names, { startMs }, 'secrets loaded');
 * ```
 */
export function logWithNames<T>(log: Logger, level: 'info' | 'warn' | 'error' | 'fatal', field: string, items: readonly T[], extra: Record<string, unknown>, msg: string): void {
  const summary = summariseNames(items);
  log[level]({ ...extra, [field]: summary.first, count: summary.count, ...(summary.more > 0 ? { more: summary.more } : {}) }, msg);
  if (summary.more > 0 && log.isLevelEnabled('debug')) log.debug({ [field]: items, count: summary.count }, `${msg} (full list)`);
}
