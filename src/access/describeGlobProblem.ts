import { SECRET_NAME_MAX_LENGTH } from './isValidSecretName';

/**
 * The first rule a secret-name pattern breaks, or undefined. Patterns use the secret-name alphabet plus `*` (any
 * run of name characters, possibly empty) and `?` (exactly one); a pattern that could never match a valid name
 * (`..`, a leading `.` or `-`) or is redundant (`**`) is rejected, because it is almost certainly a mistake.
 */
export function describeGlobProblem(pattern: unknown): string | undefined {
  if (typeof pattern !== 'string') return `must be a string, got ${pattern === null ? 'null' : typeof pattern}`;
  if (pattern.length === 0) return 'is empty';
  if (pattern.length > SECRET_NAME_MAX_LENGTH) return `is longer than ${SECRET_NAME_MAX_LENGTH} characters`;
  const bad = pattern.search(/[^A-Za-z0-9_.*?-]/);
  if (bad >= 0) return `contains ${JSON.stringify(pattern[bad])} at position ${bad + 1}; patterns use A-Z a-z 0-9 _ . - and the wildcards * and ?`;
  if (pattern.includes('**')) return 'contains "**"; a single * already matches any run of characters';
  if (pattern.includes('..')) return 'contains ".." and can never match a valid secret name';
  if (pattern.startsWith('.') || pattern.startsWith('-')) return 'starts with "." or "-" and can never match a valid secret name';
  return undefined;
}
