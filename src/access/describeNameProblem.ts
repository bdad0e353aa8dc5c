/** What kind of identifier is checked, and its rules. */
export interface NameRules {
  maxLength: number;
  /** Allowed characters besides letters, digits and `_`, as written in messages. */
  extra: '-' | '.-';
}

/**
 * The first naming rule `value` breaks, as a sentence fragment, or undefined when it breaks none. Messages never
 * quote the value: names may be sensitive and hostile input must not reach logs (terminal escapes, RTL overrides).
 */
export function describeNameProblem(value: unknown, rules: NameRules): string | undefined {
  if (typeof value !== 'string') return `must be a string, got ${value === null ? 'null' : typeof value}`;
  if (value.length === 0) return 'is empty';
  if (value.length > rules.maxLength) return `is longer than ${rules.maxLength} characters (${value.length})`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return `contains a control character at position ${i + 1}`;
    if (c > 0x7f) return `contains a non-ASCII character at position ${i + 1} (Unicode look-alikes and direction marks are not allowed)`;
  }
  const separator = value.search(/[/\\]/);
  if (separator >= 0) return `contains a path separator at position ${separator + 1}`;
  if (value.includes('..')) return 'contains ".."';
  if (value.startsWith('.') || value.startsWith('-')) return 'starts with "." or "-"';
  const allowed = rules.extra === '-' ? /[^A-Za-z0-9_-]/ : /[^A-Za-z0-9_.-]/;
  const bad = value.search(allowed);
  if (bad >= 0) return `contains a character outside [A-Za-z0-9_${rules.extra}] at position ${bad + 1}`;
  return undefined;
}
