import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { createPolicyError, type PolicyProblem } from './createPolicyError';
import { findJsonSyntaxError } from './findJsonSyntaxError';
import { Policy } from './Policy';
import { validatePolicyDocument, type PolicyLocator } from './validatePolicyDocument';

/** Options of {@link parsePolicy}. */
export interface ParsePolicyOptions {
  /** How error messages name the policy, e.g. its file path. Default `<inline>`. */
  source?: string;
}

function positionOf(node: unknown, lines: LineCounter): { line: number; column: number } | undefined {
  const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
  if (range === undefined) return undefined;
  const { line, col } = lines.linePos(range[0]);
  return { line, column: col };
}

/** Walks the parsed YAML (JSON is YAML) to the key or value at `path`; the deepest node found when it is missing. */
function locator(doc: Document, lines: LineCounter): PolicyLocator {
  return (path, at) => {
    let node: unknown = doc.contents;
    let found: unknown = node;
    for (let k = 0; k < path.length; k++) {
      const part = path[k];
      let next: unknown;
      let key: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => String(isScalar(p.key) ? p.key.value : p.key) === String(part));
        key = pair?.key;
        next = pair?.value;
      } else if (isSeq(node) && typeof part === 'number') next = node.items[part];
      if (key === undefined && next === undefined) break;
      const isLast = k === path.length - 1;
      found = isLast && at === 'key' && key !== undefined ? key : positionOf(next, lines) !== undefined ? next : (key ?? found);
      node = next;
    }
    return positionOf(found, lines);
  };
}

/**
 * Parses an access policy from YAML or JSON text, validates it against the policy schema and compiles it.
 * Every error is a PolicyError whose message names the line, column and field (`roles.billing.grants[0].names[1]`):
 * syntax errors, duplicate keys, YAML aliases and tags, unknown fields and permissions, bad name patterns,
 * invalid tenant ids, wrong types.
 *
 * @example
 * ```ts
 * const policy = parsePolicy(fs.readFileSync('policy.yaml', 'utf8'), 'yaml', { source: 'policy.yaml' });
 * ```
 */
export function parsePolicy(text: string, format: 'yaml' | 'json', options: ParsePolicyOptions = {}): Policy {
  const source = options.source ?? '<inline>';
  const body = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const lines = new LineCounter();
  const at = (offset: number): { line: number; column: number } => {
    const { line, col } = lines.linePos(offset);
    return { line, column: col };
  };
  let value: unknown;
  if (format === 'json') {
    const syntax = findJsonSyntaxError(body);
    if (syntax !== undefined) {
      // Count lines without the yaml parser, which may not get this far on broken input.
      const before = body.slice(0, syntax.offset);
      const line = before.split('\n').length;
      const column = syntax.offset - before.lastIndexOf('\n');
      throw createPolicyError(source, [{ field: '(syntax)', problem: `JSON syntax error: ${syntax.problem}`, line, column }]);
    }
    value = JSON.parse(body) as unknown;
  } else if (format !== 'yaml') {
    throw createPolicyError(source, [{ field: '(format)', problem: `unknown format ${JSON.stringify(format)}; use "yaml" or "json"` }]);
  }
  // JSON is YAML 1.2, so one parser gives node positions for both formats (and rejects duplicate keys in both).
  const doc = parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const problems: PolicyProblem[] = [...doc.errors, ...doc.warnings].map((e) => ({
    field: '(syntax)',
    problem: `${format === 'json' ? 'JSON' : 'YAML'} error: ${e.message}`,
    ...at(e.pos[0]),
  }));
  visit(doc, {
    Alias(_, node) {
      problems.push({ field: '(syntax)', problem: 'YAML aliases are not supported; repeat the value', ...(positionOf(node, lines) ?? {}) });
    },
  });
  if (problems.length > 0) throw createPolicyError(source, problems);
  if (doc.contents === null) throw createPolicyError(source, [{ field: '(root)', problem: 'the policy is empty; it needs at least a "roles" mapping', line: 1, column: 1 }]);
  if (format === 'yaml') value = doc.toJS({ maxAliasCount: 0 }) as unknown;
  const locate = locator(doc, lines);
  const validated = validatePolicyDocument(value, { source, locate });
  return new Policy(validated, { source });
}
