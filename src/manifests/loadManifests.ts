import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError } from '../errors/ConfigError';
import type { ManifestDocument } from './ManifestDocument';
import { parseManifests } from './parseManifests';

/** File names kustomize reads as a kustomization. */
export const KUSTOMIZATION_FILES = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'] as const;

const MAX_FILE_BYTES = 4 * 1024 * 1024;
const MAX_FILES = 5000;

/**
 * Load every YAML document under `dir` (recursively: `*.yaml`, `*.yml` and `Kustomization` files; hidden
 * directories and `node_modules` are skipped), in a stable order. Each document carries its file (relative to
 * `dir`) and its 1-based position in the file, so findings can point at it. Syntax errors do not throw: they are
 * kept on the document (`problems`) and reported by `validateManifests`.
 *
 * Roles: kustomization files are `kustomization`; files a kustomization applies as patches are `patch` (partial
 * by design); generator inputs are `data`; everything else is a `resource`.
 *
 * @throws ConfigError when `dir` is not a readable directory.
 * @example
 * ```ts
 * const docs = loadManifests('deploy/kubernetes');
 * docs.map((d) => `${d.file}#${d.document}`); // ['base/cronjob-rotate.yaml#1', ...]
 * ```
 */
export function loadManifests(dir: string): ManifestDocument[] {
  const root = path.resolve(dir);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(root);
  } catch (error) {
    throw new ConfigError(`manifests: cannot read ${dir} (${(error as NodeJS.ErrnoException).code ?? 'error'}). Give the directory that holds the manifests.`);
  }
  if (!stat.isDirectory()) throw new ConfigError(`manifests: ${dir} is not a directory. Give the directory that holds the manifests.`);

  const files = listYamlFiles(root);
  const docs: ManifestDocument[] = [];
  for (const abs of files) {
    const rel = path.relative(root, abs).split(path.sep).join('/');
    const size = fs.statSync(abs).size;
    if (size > MAX_FILE_BYTES) {
      docs.push(problemDocument(rel, `file is ${size} bytes, more than ${MAX_FILE_BYTES}; not read`));
      continue;
    }
    const isKustomization = (KUSTOMIZATION_FILES as readonly string[]).includes(path.basename(abs));
    docs.push(...parseManifests(fs.readFileSync(abs, 'utf8'), rel, isKustomization ? 'kustomization' : undefined));
  }
  assignKustomizeRoles(docs);
  return docs;
}

function listYamlFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else if (e.isFile() && (/\.ya?ml$/i.test(e.name) || e.name === 'Kustomization')) {
        out.push(abs);
        if (out.length > MAX_FILES) throw new ConfigError(`manifests: more than ${MAX_FILES} YAML files under ${root}; point at the directory of one application.`);
      }
    }
  };
  walk(root);
  return out;
}

function problemDocument(file: string, problem: string): ManifestDocument {
  return { file, document: 1, object: undefined, problems: [problem], role: 'resource', lineOf: () => undefined, textLineOf: () => undefined };
}

/** Mark the files that kustomizations use as patches or generator inputs. */
function assignKustomizeRoles(docs: ManifestDocument[]): void {
  const patchFiles = new Set<string>();
  const dataFiles = new Set<string>();
  for (const d of docs) {
    if (d.role !== 'kustomization' || !d.object || typeof d.object !== 'object') continue;
    const k = d.object as Record<string, unknown>;
    const base = path.posix.dirname(d.file);
    const at = (p: unknown) => (typeof p === 'string' ? path.posix.normalize(path.posix.join(base, p)) : undefined);
    for (const p of asArray(k.patches)) patchFiles.add(at((p as { path?: unknown })?.path) ?? '');
    for (const p of asArray(k.patchesStrategicMerge)) patchFiles.add(at(p) ?? '');
    for (const p of asArray(k.patchesJson6902)) patchFiles.add(at((p as { path?: unknown })?.path) ?? '');
    for (const g of [...asArray(k.configMapGenerator), ...asArray(k.secretGenerator)]) {
      const gen = g as { files?: unknown; envs?: unknown; env?: unknown };
      for (const f of asArray(gen.files)) dataFiles.add(at(typeof f === 'string' ? f.slice(f.indexOf('=') + 1) : undefined) ?? '');
      for (const f of [...asArray(gen.envs), gen.env]) dataFiles.add(at(f) ?? '');
    }
  }
  for (const d of docs) {
    if (d.role === 'kustomization') continue;
    if (patchFiles.has(d.file)) d.role = 'patch';
    else if (dataFiles.has(d.file)) d.role = 'data';
  }
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
