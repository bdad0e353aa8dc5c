import * as path from 'node:path';
import { isSecretsError } from '../errors/SecretsError';
import type { SecretsSchema } from '../schema/SecretsSchema';
import type { ManifestDocument } from './ManifestDocument';
import type { ManifestFinding } from './ManifestFinding';
import { checkPodSecurity } from './checkPodSecurity';
import { crossCheckSchema } from './crossCheckSchema';
import { resourceOf } from './FindingDraft';
import { KUSTOMIZATION_FILES, loadManifests } from './loadManifests';
import { parseManifests } from './parseManifests';
import { renderKustomization, type RenderKustomizationOptions } from './renderKustomization';
import { validateManifests } from './validateManifests';

/** Options of {@link checkManifests}. */
export interface CheckManifestsOptions {
  /**
   * Render kustomizations (default `true`): every kustomization under the directory that no other one includes
   * is rendered, and its output is validated and cross-checked as what would be applied. With `false`, or when
   * there is no kustomization, the files themselves are cross-checked as one set.
   */
  shouldRender?: boolean;
  /** How to render (the kustomize command, time limit). */
  render?: RenderKustomizationOptions;
}

/**
 * Check a directory of Kubernetes manifests for a service that uses the preload, and return every finding
 * (empty when all is well; fail on any `severity: 'error'`):
 *
 * 1. every YAML document under `dir` parses and is valid for its kind (`validateManifests`);
 * 2. each kustomization root (one no other kustomization includes, e.g. each overlay) is rendered with
 *    kustomize, and the rendered objects are validated again, cross-checked against `schema`
 *    (`crossCheckSchema`: aliases of the SecretProviderClass, read-only whole mount, preload settings) and
 *    checked for a restricted securityContext (`checkPodSecurity`);
 * 3. without kustomizations, the files are cross-checked and checked as one set.
 *
 * @throws ConfigError when `dir` is not a readable directory.
 * @example
 * ```ts
 * import { checkManifests, formatFinding } from '../manifests';
 * const findings = checkManifests('deploy/kubernetes', require('./examples/schema.js'));
 * for (const f of findings) process.stdout.write(formatFinding(f) + '\n');
 * process.exitCode = findings.some((f) => f.severity === 'error') ? 1 : 0;
 * ```
 */
export function checkManifests(dir: string, schema: SecretsSchema, options: CheckManifestsOptions = {}): ManifestFinding[] {
  const docs = loadManifests(dir);
  const findings = validateManifests(docs, { baseDir: dir });
  const roots = options.shouldRender === false ? [] : kustomizationRoots(docs);

  if (roots.length === 0) {
    const resources = docs.filter((d) => d.role === 'resource');
    findings.push(...crossCheckSchema(resources, schema), ...checkPodSecurity(resources));
    return findings;
  }
  const seen = new Set(findings.map(keyOf));
  for (const root of roots) {
    const label = `${root.dir === '.' ? path.basename(path.resolve(dir)) : root.dir} (kustomize build)`;
    let rendered: string;
    try {
      rendered = renderKustomization(path.join(dir, root.dir), options.render);
    } catch (error) {
      if (!isSecretsError(error)) throw error;
      findings.push({ severity: 'error', rule: 'kustomize-render', file: root.doc.file, document: root.doc.document, path: '', message: error.message, fix: 'Fix what kustomize names, or install kubectl / kustomize; check the rendered output with `kubectl kustomize <dir>`.' });
      continue;
    }
    const renderedDocs = parseManifests(rendered, label);
    const origins = originIndex(docs, root.dir);
    for (const f of [...validateManifests(renderedDocs), ...crossCheckSchema(renderedDocs, schema), ...checkPodSecurity(renderedDocs)]) {
      // A problem of a shared file (the base) shows in every overlay's output: report it once, at its source.
      const located = withOrigin(f, renderedDocs, origins);
      const key = keyOf(located);
      if (seen.has(key)) continue;
      seen.add(key);
      findings.push(located);
    }
  }
  return findings;
}

/** Kustomization directories (relative to the checked dir) that no other kustomization includes. */
function kustomizationRoots(docs: readonly ManifestDocument[]): { dir: string; doc: ManifestDocument }[] {
  const kustomizations = docs.filter((d) => d.role === 'kustomization' && KUSTOMIZATION_FILES.includes(path.posix.basename(d.file) as (typeof KUSTOMIZATION_FILES)[number]));
  const dirs = new Map(kustomizations.map((d) => [path.posix.dirname(d.file), d]));
  const included = new Set<string>();
  for (const d of kustomizations) {
    const k = d.object as Record<string, unknown> | undefined;
    const base = path.posix.dirname(d.file);
    for (const key of ['resources', 'components', 'bases']) {
      const list = k?.[key];
      if (Array.isArray(list)) for (const r of list) if (typeof r === 'string') included.add(path.posix.normalize(path.posix.join(base, r)));
    }
  }
  return [...dirs].filter(([dir]) => !included.has(dir)).map(([dir, doc]) => ({ dir, doc }));
}

/**
 * Source documents by `Kind/name`, to say which file most likely produced a rendered object: those under the
 * rendered kustomization's own directory first (an overlay's resources), else any (the base's).
 */
function originIndex(docs: readonly ManifestDocument[], rootDir: string): Map<string, ManifestDocument[]> {
  const index = new Map<string, ManifestDocument[]>();
  for (const d of docs) {
    if (d.role !== 'resource') continue;
    const key = resourceOf(d.object);
    if (key) index.set(key, [...(index.get(key) ?? []), d]);
  }
  const prefix = rootDir === '.' ? '' : `${rootDir}/`;
  for (const [key, list] of index) {
    const own = list.filter((d) => d.file.startsWith(prefix) && !d.file.slice(prefix.length).includes('/'));
    if (own.length > 0) index.set(key, own);
  }
  return index;
}

/** Identity of a finding, by its source document when it has one. */
function keyOf(f: ManifestFinding): string {
  // Lines inside messages (nested YAML) differ between a file and the rendered stream.
  return JSON.stringify([f.origin?.file ?? f.file, f.origin?.document ?? f.document, f.rule, f.path, f.message.replace(/line \d+/g, 'line ?')]);
}

function withOrigin(f: ManifestFinding, rendered: readonly ManifestDocument[], origins: Map<string, ManifestDocument[]>): ManifestFinding {
  const doc = rendered.find((d) => d.file === f.file && d.document === f.document);
  const key = doc ? resourceOf(doc.object) : undefined;
  const candidates = key ? origins.get(key) ?? [] : [];
  return candidates.length === 1 ? { ...f, origin: { file: candidates[0]!.file, document: candidates[0]!.document } } : f;
}
