import type { ManifestDocument, ManifestRole } from './ManifestDocument';
import { parseYamlSource } from './yamlSource';

/** Kinds of kustomize's own files. */
const KUSTOMIZE_API = /^kustomize\.config\.k8s\.io\//;

/**
 * Parse a YAML stream of manifests (a file's text, or the output of `kustomize build`) into documents labelled
 * `file`. Empty documents (a stray `---`) are dropped; documents that do not parse are kept with their problems.
 *
 * @example
 * ```ts
 * const docs = parseManifests(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' }), `${dir} (kustomize build)`);
 * const findings = [...validateManifests(docs), ...crossCheckSchema(docs, schema)];
 * ```
 */
export function parseManifests(text: string, file: string, role?: ManifestRole): ManifestDocument[] {
  const out: ManifestDocument[] = [];
  parseYamlSource(text).forEach((source, i) => {
    if (source.problems.length === 0 && (source.value === null || source.value === undefined)) return;
    out.push({
      file,
      document: i + 1,
      object: source.problems.length === 0 ? source.value : undefined,
      problems: source.problems,
      role: role ?? roleOf(source.value),
      lineOf: source.lineOf,
      textLineOf: source.textLineOf,
    });
  });
  return out;
}

/** Tell kustomize's own files from Kubernetes objects by their apiVersion. */
export function roleOf(value: unknown): ManifestRole {
  const apiVersion = value && typeof value === 'object' ? (value as { apiVersion?: unknown }).apiVersion : undefined;
  return typeof apiVersion === 'string' && KUSTOMIZE_API.test(apiVersion) ? 'kustomization' : 'resource';
}
