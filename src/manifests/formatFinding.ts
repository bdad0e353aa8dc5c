import type { ManifestFinding } from './ManifestFinding';

/**
 * One line of text for a finding: `error file:line (document n) Kind/name path: message Fix: fix [rule]`.
 *
 * @example
 * ```ts
 * for (const f of checkManifests(dir, schema)) process.stdout.write(formatFinding(f) + '\n');
 * ```
 */
export function formatFinding(f: ManifestFinding): string {
  const where = `${f.file}${f.line !== undefined ? `:${f.line}` : ''} (document ${f.document})`;
  const origin = f.origin ? ` (from ${f.origin.file}, document ${f.origin.document})` : '';
  const what = [f.resource, f.path].filter((s) => s !== undefined && s !== '').join(' ');
  return `${f.severity} ${where}${origin}${what ? ` ${what}` : ''}: ${f.message} Fix: ${f.fix} [${f.rule}]`;
}
