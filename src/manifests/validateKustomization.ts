import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FindingDraft } from './FindingDraft';
import { closest } from './closest';

// Fields of kustomize v5's Kustomization; kustomize refuses unknown fields.
const FIELDS = [
  'apiVersion', 'kind', 'metadata', 'resources', 'components', 'crds', 'bases', 'namespace', 'namePrefix', 'nameSuffix',
  'labels', 'commonLabels', 'commonAnnotations', 'patches', 'patchesStrategicMerge', 'patchesJson6902', 'images',
  'replicas', 'replacements', 'vars', 'configMapGenerator', 'secretGenerator', 'generatorOptions', 'generators',
  'transformers', 'validators', 'openapi', 'helmCharts', 'helmGlobals', 'helmChartInflationGenerator', 'configurations',
  'buildMetadata', 'sortOptions',
];
const DEPRECATED: Record<string, string> = {
  bases: 'resources',
  commonLabels: 'labels',
  patchesStrategicMerge: 'patches',
  patchesJson6902: 'patches',
  vars: 'replacements',
};
const STRING_LISTS = ['resources', 'components', 'crds', 'bases', 'patchesStrategicMerge', 'configurations', 'generators', 'transformers', 'validators'];
const PATCH_FIELDS = ['path', 'patch', 'target', 'options'];

/**
 * Check a kustomization file: known fields, their shapes, and that the local files and directories it names
 * exist (`baseDir` + the file's directory). Remote resources (URLs) are not fetched.
 *
 * @example
 * ```ts
 * validateKustomization(doc.object, 'overlays/aws/kustomization.yaml', '/repo/deploy/kubernetes');
 * ```
 */
export function validateKustomization(object: Record<string, unknown>, file: string, baseDir?: string): FindingDraft[] {
  const findings: FindingDraft[] = [];
  const err = (p: (string | number)[], message: string, fix: string) => findings.push({ severity: 'error', rule: 'kustomization', path: p, message, fix });
  const warn = (p: (string | number)[], message: string, fix: string) => findings.push({ severity: 'warning', rule: 'kustomization', path: p, message, fix });

  if (object.apiVersion !== undefined && !['kustomize.config.k8s.io/v1beta1', 'kustomize.config.k8s.io/v1alpha1'].includes(String(object.apiVersion))) {
    err(['apiVersion'], `apiVersion ${String(object.apiVersion)} is not a kustomize API.`, 'Use kustomize.config.k8s.io/v1beta1 (Kustomization) or v1alpha1 (Component).');
  }
  if (object.kind !== undefined && !['Kustomization', 'Component'].includes(String(object.kind))) {
    err(['kind'], `kind ${String(object.kind)} is not Kustomization or Component.`, 'Use kind: Kustomization.');
  }
  for (const key of Object.keys(object)) {
    if (!FIELDS.includes(key)) {
      const near = closest(key, FIELDS);
      err([key], `"${key}" is not a kustomization field; kustomize refuses the file.`, near ? `Did you mean "${near}"?` : 'Remove it.');
    } else if (DEPRECATED[key]) {
      warn([key], `${key} is deprecated.`, `Use ${DEPRECATED[key]} (\`kustomize edit fix\` converts it).`);
    }
  }
  for (const key of STRING_LISTS) {
    const v = object[key];
    if (v === undefined) continue;
    if (!Array.isArray(v) || v.some((e) => typeof e !== 'string')) err([key], `${key} must be a list of paths.`, `Write ${key} as "- <path>" lines.`);
  }
  if (object.namespace !== undefined && (typeof object.namespace !== 'string' || !/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(object.namespace))) {
    err(['namespace'], 'namespace must be a valid namespace name.', 'Use lowercase letters, digits and "-".');
  }
  const patches = object.patches;
  if (patches !== undefined) {
    if (!Array.isArray(patches)) err(['patches'], 'patches must be a list.', 'Write each patch as "- path: <file>" or "- patch: |-" with a target.');
    else patches.forEach((p, i) => {
      if (!p || typeof p !== 'object' || Array.isArray(p)) return err(['patches', i], `patches[${i}] must be a mapping.`, 'Give path or patch.');
      const patch = p as Record<string, unknown>;
      for (const key of Object.keys(patch)) if (!PATCH_FIELDS.includes(key)) err(['patches', i, key], `patches[${i}] has an unknown field "${key}".`, `Fields: ${PATCH_FIELDS.join(', ')}.`);
      if ((patch.path === undefined) === (patch.patch === undefined)) err(['patches', i], `patches[${i}] needs exactly one of path and patch.`, 'Keep one.');
      if (patch.patch !== undefined && typeof patch.patch !== 'string') err(['patches', i, 'patch'], `patches[${i}].patch must be a string.`, 'Write it as a block string (patch: |-).');
    });
  }
  const images = object.images;
  if (images !== undefined && (!Array.isArray(images) || images.some((im) => !im || typeof im !== 'object' || typeof (im as { name?: unknown }).name !== 'string'))) {
    err(['images'], 'images must be a list of mappings, each with a name.', 'Write "- name: <image>" with newName / newTag / digest.');
  }

  // Local paths must exist (remote ones are left to kustomize).
  if (baseDir !== undefined) {
    const dir = path.join(baseDir, path.dirname(file));
    const check = (p: unknown, at: (string | number)[], what: string) => {
      if (typeof p !== 'string' || isRemote(p)) return;
      if (!fs.existsSync(path.join(dir, p))) err(at, `${what} ${p} does not exist (relative to ${path.posix.dirname(file) || '.'}).`, 'Fix the path, or add the file.');
    };
    for (const key of ['resources', 'components', 'crds', 'bases', 'patchesStrategicMerge']) {
      const v = object[key];
      if (Array.isArray(v)) v.forEach((p, i) => check(p, [key, i], key === 'patchesStrategicMerge' ? 'patch' : 'resource'));
    }
    for (const key of ['patches', 'patchesJson6902']) {
      const v = object[key];
      if (Array.isArray(v)) v.forEach((p, i) => check((p as { path?: unknown } | null)?.path, [key, i, 'path'], 'patch'));
    }
  }
  return findings;
}

function isRemote(p: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(p) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(p) || p.startsWith('git@');
}
