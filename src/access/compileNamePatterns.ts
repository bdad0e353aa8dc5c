/** A compiled set of secret-name patterns. */
export interface NameMatcher {
  matches(name: string): boolean;
}

const NAME_CHAR = '[A-Za-z0-9_.-]';

/**
 * Compiles validated secret-name patterns (see describeGlobProblem) once: literal names go to a Set, the rest
 * into one anchored RegExp, so a check costs one hash lookup and at most one regex test.
 *
 * @example
 * ```ts
 * compileNamePatterns(['STRIPE_*', 'DB_PASSWORD']).matches('STRIPE_KEY'); // true
 * ```
 */
export function compileNamePatterns(patterns: readonly string[]): NameMatcher {
  const exact = new Set<string>();
  const sources: string[] = [];
  for (const pattern of patterns) {
    if (!/[*?]/.test(pattern)) {
      exact.add(pattern);
      continue;
    }
    let source = '';
    for (const c of pattern) source += c === '*' ? `${NAME_CHAR}*` : c === '?' ? NAME_CHAR : c === '.' ? '\\.' : c;
    sources.push(source);
  }
  const re = sources.length === 0 ? undefined : new RegExp(`^(?:${sources.join('|')})$`);
  if (re === undefined) return { matches: (name) => exact.has(name) };
  if (exact.size === 0) return { matches: (name) => re.test(name) };
  return { matches: (name) => exact.has(name) || re.test(name) };
}
