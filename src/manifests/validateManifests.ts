import type { ManifestDocument } from './ManifestDocument';
import type { ManifestFinding } from './ManifestFinding';
import { toFinding, type FindingDraft } from './FindingDraft';
import { validateKustomization } from './validateKustomization';
import { validateKubernetesObject, hasKubernetesModels } from './validateKubernetesObject';
import { validateSecretProviderClass } from './validateSecretProviderClass';

/** Options of {@link validateManifests}. */
export interface ValidateManifestsOptions {
  /** The directory the documents' `file` paths are relative to; lets kustomization paths be checked. */
  baseDir?: string;
}

/**
 * Validate documents one by one: each parses (YAML 1.1, no duplicate keys), has apiVersion / kind / a name, and
 * matches the Kubernetes schema of its kind (kubernetes-models); a SecretProviderClass matches the CRD and its
 * provider's format (parameters, and the `objects` YAML inside its string); kustomization files have known
 * fields and existing paths; patches are only checked for shape (they are partial by design).
 *
 * @example
 * ```ts
 * const findings = validateManifests(loadManifests('deploy/kubernetes'), { baseDir: 'deploy/kubernetes' });
 * ```
 */
export function validateManifests(docs: readonly ManifestDocument[], options: ValidateManifestsOptions = {}): ManifestFinding[] {
  const findings: ManifestFinding[] = [];
  let isModelsMissingReported = false;
  for (const doc of docs) {
    const add = (drafts: readonly FindingDraft[]) => findings.push(...drafts.map((d) => toFinding(doc, d)));
    if (doc.problems.length > 0) {
      add(doc.problems.map((p) => ({ severity: 'error' as const, rule: 'yaml-syntax' as const, path: [], ...lineOfProblem(p), message: `not valid YAML: ${p}.`, fix: 'Fix the YAML syntax (indentation, quoting, duplicate keys).' })));
      continue;
    }
    if (doc.role === 'data') continue;
    const o = doc.object;
    if (doc.role === 'patch') {
      add(checkPatch(o));
      continue;
    }
    if (!o || typeof o !== 'object' || Array.isArray(o)) {
      add([{ severity: 'error', rule: 'manifest-shape', path: [], message: `a manifest must be a mapping, not ${Array.isArray(o) ? 'a list' : typeof o}.`, fix: 'Write one Kubernetes object per YAML document, separated by "---".' }]);
      continue;
    }
    const obj = o as Record<string, unknown>;
    if (doc.role === 'kustomization') {
      add(validateKustomization(obj, doc.file, options.baseDir));
      continue;
    }
    const shape = checkShape(obj);
    if (shape.length > 0) {
      add(shape);
      continue;
    }
    const apiVersion = obj.apiVersion as string;
    const kind = obj.kind as string;
    if (kind === 'SecretProviderClass' && apiVersion.startsWith('secrets-store.csi.x-k8s.io/')) {
      add(validateSecretProviderClass(doc));
      continue;
    }
    if (!hasKubernetesModels()) {
      if (!isModelsMissingReported) add([{ severity: 'error', rule: 'kubernetes-schema', path: [], message: 'cannot validate against the Kubernetes schemas: the kubernetes-models package is not installed.', fix: 'npm install kubernetes-models@4 (it holds the schemas).' }]);
      isModelsMissingReported = true;
      continue;
    }
    const result = validateKubernetesObject(obj as { apiVersion: string; kind: string });
    if (result === undefined) {
      add([{ severity: 'warning', rule: 'unknown-kind', path: ['kind'], message: `no schema is known for ${apiVersion} ${kind}; only its shape was checked.`, fix: 'Check a custom resource against its CRD with kubectl apply --dry-run=server on a cluster that has it.' }]);
    } else add(result);
  }
  return findings;
}

function checkShape(obj: Record<string, unknown>): FindingDraft[] {
  const out: FindingDraft[] = [];
  if (typeof obj.apiVersion !== 'string' || obj.apiVersion === '') out.push({ severity: 'error', rule: 'manifest-shape', path: ['apiVersion'], message: 'apiVersion is missing.', fix: 'Add apiVersion (e.g. apps/v1).' });
  if (typeof obj.kind !== 'string' || obj.kind === '') out.push({ severity: 'error', rule: 'manifest-shape', path: ['kind'], message: 'kind is missing.', fix: 'Add kind (e.g. Deployment).' });
  const meta = obj.metadata as { name?: unknown; generateName?: unknown } | undefined;
  if (!meta || typeof meta !== 'object' || (typeof meta.name !== 'string' && typeof meta.generateName !== 'string')) {
    out.push({ severity: 'error', rule: 'manifest-shape', path: ['metadata', 'name'], message: 'metadata.name is missing.', fix: 'Add metadata.name.' });
  }
  return out;
}

function checkPatch(o: unknown): FindingDraft[] {
  if (Array.isArray(o)) {
    // A JSON 6902 patch: a list of operations.
    return o.flatMap((op, i): FindingDraft[] => {
      const ok = op && typeof op === 'object' && ['add', 'remove', 'replace', 'move', 'copy', 'test'].includes(String((op as { op?: unknown }).op)) && typeof (op as { path?: unknown }).path === 'string';
      return ok ? [] : [{ severity: 'error', rule: 'kustomization', path: [i], message: `JSON patch operation ${i + 1} needs op (add, remove, replace, move, copy, test) and path.`, fix: 'Write "- op: replace\\n  path: /spec/...\\n  value: ...".' }];
    });
  }
  if (!o || typeof o !== 'object') return [{ severity: 'error', rule: 'kustomization', path: [], message: 'a patch must be a mapping (strategic merge) or a list (JSON 6902).', fix: 'Write the patch as a partial object with apiVersion, kind and metadata.name.' }];
  return checkShape(o as Record<string, unknown>).map((d) => ({ ...d, rule: 'kustomization' as const, message: `strategic merge patch: ${d.message}` }));
}

function lineOfProblem(problem: string): { line?: number } {
  const m = /^line (\d+):/.exec(problem);
  return m ? { line: Number(m[1]) } : {};
}
