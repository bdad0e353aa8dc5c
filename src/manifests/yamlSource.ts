import { LineCounter, parseAllDocuments, isScalar, Scalar, type Document } from 'yaml';
import type { YamlPath } from './ManifestDocument';

/**
 * YAML as the Kubernetes API machinery and the CSI providers read it: YAML 1.1 (`0600` is octal, `yes` is a
 * boolean), duplicate keys refused. sigs.k8s.io/yaml and the providers' go-yaml behave this way.
 */
const OPTIONS = { version: '1.1', uniqueKeys: true, strict: true, prettyErrors: false } as const;

/** One parsed YAML document, with a way back to the lines of the file it came from. */
export interface YamlSourceDocument {
  /** The parsed value; `undefined` when there are problems. */
  value: unknown;
  problems: string[];
  /** 1-based line of the node at `path`, or of its deepest existing ancestor. */
  lineOf(path: YamlPath): number | undefined;
  /** 1-based line where the text of the string at `path` starts (the line after `|` for a block scalar). */
  textLineOf(path: YamlPath): number | undefined;
}

/**
 * Parse every document of a YAML stream. `firstLine` is the file line of the text's first line, for YAML that is
 * embedded in a string of another document (the CSI providers' `objects`).
 */
export function parseYamlSource(text: string, firstLine = 1): YamlSourceDocument[] {
  const lineCounter = new LineCounter();
  return parseAllDocuments(text, { ...OPTIONS, lineCounter }).map((doc) => sourceOf(doc, lineCounter, firstLine));
}

function sourceOf(doc: Document.Parsed, lineCounter: LineCounter, firstLine: number): YamlSourceDocument {
  const toFileLine = (offset: number) => lineCounter.linePos(offset).line + firstLine - 1;
  const problems = doc.errors.map((e) => `${e.pos ? `line ${toFileLine(e.pos[0])}: ` : ''}${(e.message.split('\n')[0] ?? '').trim()}`);
  let value: unknown;
  if (problems.length === 0) {
    try {
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  const nodeAt = (path: YamlPath): unknown => (path.length === 0 ? doc.contents : doc.getIn(path, true));
  const lineOf = (path: YamlPath): number | undefined => {
    for (let n = path.length; n >= 0; n--) {
      const range = (nodeAt(path.slice(0, n)) as { range?: [number, number, number] } | null | undefined)?.range;
      if (range) return toFileLine(range[0]);
    }
    return undefined;
  };
  const textLineOf = (path: YamlPath): number | undefined => {
    const node = nodeAt(path);
    if (!isScalar(node) || typeof node.value !== 'string' || !node.range) return undefined;
    const isBlock = node.type === Scalar.BLOCK_LITERAL || node.type === Scalar.BLOCK_FOLDED;
    return toFileLine(node.range[0]) + (isBlock ? 1 : 0);
  };
  return { value, problems, lineOf, textLineOf };
}
