/** A path into a parsed YAML value: mapping keys and sequence indexes. */
export type YamlPath = readonly (string | number)[];

/** What a document is for, which decides how strictly it is validated. */
export type ManifestRole =
  /** A Kubernetes object (validated against the schema of its kind). */
  | 'resource'
  /** A kustomization file (`kustomize.config.k8s.io` Kustomization or Component). */
  | 'kustomization'
  /** A patch a kustomization applies: partial by design, only its shape is checked. */
  | 'patch'
  /** A generator input (configMapGenerator / secretGenerator files): not a manifest, not checked. */
  | 'data';

/**
 * One YAML document of a manifest file (or of rendered kustomize output).
 *
 * @example
 * ```ts
 * const docs = loadManifests('deploy/kubernetes');
 * for (const d of docs) if (d.problems.length) report(`${d.file} document ${d.document}: ${d.problems[0]}`);
 * ```
 */
export interface ManifestDocument {
  /** The file, relative to the directory given to `loadManifests` (or the label given to `parseManifests`). */
  file: string;
  /** 1-based position of the document in its file: 1 is the first document. */
  document: number;
  /** The parsed value (YAML 1.1, as the Kubernetes API machinery reads it); `undefined` when parsing failed. */
  object: unknown;
  /** YAML syntax problems (empty when the document parsed). */
  problems: readonly string[];
  role: ManifestRole;
  /** 1-based line of the node at `path` (or of its deepest existing ancestor) in `file`, when known. */
  lineOf(path: YamlPath): number | undefined;
  /** 1-based line in `file` where the text of the string at `path` starts (the line after `|` for a block scalar). */
  textLineOf(path: YamlPath): number | undefined;
}
