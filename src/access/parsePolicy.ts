import { isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Document } from 'yaml';
import { createPolicyError, type PolicyProblem } from './createPolicyError';
import { findJsonSyntaxError } from './findJsonSyntaxError';
import { Policy } from './Policy';
import { validatePolicyDocument, type PolicyLocator } from './validatePolicyDocument';

/** Deepest nesting of flow collections (`{`, `[`) or block indentation accepted; real policies use about 5. */
const MAX_NESTING = 64;

/** Whether a quote at `i` opens a quoted scalar (after a line start, `:`, `-`, `[`, `{`, `,` or `?`), not an apostrophe in a word. */
function startsScalar(text: string, i: number): boolean {
  let k = i - 1;
  while (k >= 0 && (text[k] === ' ' || text[k] === '\t')) k--;
  return k < 0 || ':-[{,?\n'.includes(text[k] as string);
}

/**
 * Offset where nesting first exceeds `max` levels, or undefined: flow brackets outside quoted strings and
 * comments, and YAML block indentation (a level per indentation step). One linear pass.
 */
function findDeepNesting(text: string, max: number): number | undefined {
  let depth = 0;
  let quote = '';
  let isLineStart = true;
  const indents: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (isLineStart) {
      isLineStart = false;
      let j = i;
      while (text[j] === ' ' || text[j] === '-') j++;
      const next = text[j];
      if (quote === '' && depth === 0 && next !== undefined && next !== '\n' && next !== '#' && next !== '\r') {
        const indent = j - i;
        while (indents.length > 0 && (indents[indents.length - 1] as number) >= indent) indents.pop();
        indents.push(indent);
        if (indents.length > max) return i;
      }
    }
    if (c === '\n') {
      isLineStart = true;
      if (quote === "'") continue;
    }
    if (quote !== '') {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if ((c === '"' || c === "'") && startsScalar(text, i)) quote = c;
    else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] as string))) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
    } else if (c === '{' || c === '[') {
      if (++depth > max) return i;
    } else if ((c === '}' || c === ']') && depth > 0) depth--;
  }
  return undefined;
}

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
  // The parsers recurse once per level: refuse deep nesting before they can exhaust the stack.
  const deep = findDeepNesting(body, MAX_NESTING);
  if (deep !== undefined) {
    const before = body.slice(0, deep);
    throw createPolicyError(source, [
      { field: '(syntax)', problem: `nesting deeper than ${MAX_NESTING} levels; a policy needs fewer than 10`, line: before.split('\n').length, column: deep - before.lastIndexOf('\n') },
    ]);
  }
  // JSON is YAML 1.2, so one parser gives node positions for both formats. Its own `uniqueKeys` check compares
  // every key with every other (quadratic: a 1 MB policy took seconds), so duplicates are found in one pass here.
  let doc: Document | undefined;
  const docOf = (): Document => (doc ??= parseDocument(body, { lineCounter: lines, prettyErrors: false, uniqueKeys: false, version: '1.2' }));
  let value: unknown;
  if (format === 'json') {
    // Strict JSON (duplicate keys included) needs no YAML parse: the document is parsed only to locate an error.
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
  } else {
    const yamlDoc = docOf();
    const problems: PolicyProblem[] = [...yamlDoc.errors, ...yamlDoc.warnings].map((e) => ({ field: '(syntax)', problem: `YAML error: ${e.message}`, ...at(e.pos[0]) }));
    visit(yamlDoc, {
      Alias(_, node) {
        problems.push({ field: '(syntax)', problem: 'YAML aliases are not supported; repeat the value', ...(positionOf(node, lines) ?? {}) });
      },
      Map(_, node) {
        const seen = new Set<string>();
        for (const pair of node.items) {
          const key = isScalar(pair.key) ? `s:${String(pair.key.value)}` : `n:${String(pair.key)}`;
          if (seen.has(key)) problems.push({ field: '(syntax)', problem: 'map keys must be unique; remove the duplicate key', ...(positionOf(pair.key, lines) ?? {}) });
          seen.add(key);
        }
      },
    });
    if (problems.length > 0) throw createPolicyError(source, problems);
    if (yamlDoc.contents === null) throw createPolicyError(source, [{ field: '(root)', problem: 'the policy is empty; it needs at least a "roles" mapping', line: 1, column: 1 }]);
    value = yamlDoc.toJS({ maxAliasCount: 0 }) as unknown;
  }
  const locate: PolicyLocator = (path, at) => locator(docOf(), lines)(path, at);
  const validated = validatePolicyDocument(value, { source, locate });
  return new Policy(validated, { source });
}
