/**
 * Stable identifiers of the checks; each finding carries one, so tools and tests can match on it.
 *
 * - `yaml-syntax`: a document does not parse.
 * - `manifest-shape`: not a mapping, or apiVersion / kind / metadata.name missing.
 * - `kubernetes-schema`: the object does not match the Kubernetes API schema of its kind.
 * - `unknown-kind`: no schema is known for the kind (warning: not validated).
 * - `kustomization`: a kustomization file is malformed or names a file that does not exist.
 * - `spc-schema`: the SecretProviderClass spec is malformed.
 * - `spc-parameter`: a provider parameter is unknown, missing or has a wrong value.
 * - `spc-objects`: the provider's `objects` (YAML in a string) is malformed.
 * - `spc-duplicate-alias`: two objects write the same file.
 * - `schema-missing-alias`: a required secret of the schema has no object.
 * - `schema-unknown-alias`: an object writes a file the schema does not declare.
 * - `schema-value-shape`: an object would not write the secret's value as a plain file.
 * - `csi-volume`: the Secrets Store CSI volume is not read-only or names an unknown SecretProviderClass.
 * - `mount-read-only`: a container mounts the CSI volume writable.
 * - `mount-subpath`: a container mounts the CSI volume with subPath (never updated on rotation).
 * - `mount-missing`: a SecretProviderClass or CSI volume that nothing mounts.
 * - `preload-missing`: a service container that reads the mount does not start the preload.
 * - `preload-settings`: SECRETS_SOURCE / SECRETS_SCHEMA / NODE_ENV do not match the mount.
 * - `pod-security`: a container misses part of the restricted securityContext.
 * - `kustomize-render`: a kustomization could not be rendered.
 */
export type ManifestRule =
  | 'yaml-syntax'
  | 'manifest-shape'
  | 'kubernetes-schema'
  | 'unknown-kind'
  | 'kustomization'
  | 'spc-schema'
  | 'spc-parameter'
  | 'spc-objects'
  | 'spc-duplicate-alias'
  | 'schema-missing-alias'
  | 'schema-unknown-alias'
  | 'schema-value-shape'
  | 'csi-volume'
  | 'mount-read-only'
  | 'mount-subpath'
  | 'mount-missing'
  | 'preload-missing'
  | 'preload-settings'
  | 'pod-security'
  | 'kustomize-render';

/**
 * One problem found in a set of manifests: where it is, what is wrong and what to do.
 *
 * @example
 * ```ts
 * const findings = checkManifests('deploy/kubernetes', schema);
 * process.exitCode = findings.some((f) => f.severity === 'error') ? 1 : 0;
 * ```
 */
export interface ManifestFinding {
  /** `error` fails a check; `warning` is reported only. */
  severity: 'error' | 'warning';
  rule: ManifestRule;
  /** The file, relative to the checked directory; rendered output is labelled `<dir> (kustomize build)`. */
  file: string;
  /** 1-based position of the document in `file`. */
  document: number;
  /** 1-based line in `file`, when known. */
  line?: number;
  /** `Kind/name` of the object, when it has them. */
  resource?: string;
  /** Dotted path in the object, e.g. `spec.template.spec.containers[0].volumeMounts[0].readOnly`. */
  path: string;
  /** What is wrong. Never contains a secret value (manifests hold none). */
  message: string;
  /** What to do about it. */
  fix: string;
  /** For rendered output: the source file and document that most likely produced the object. */
  origin?: { file: string; document: number };
}
