import type { SecretsSchema } from '../schema/SecretsSchema';
import type { ManifestDocument, YamlPath } from './ManifestDocument';
import type { ManifestFinding } from './ManifestFinding';
import { toFinding, type FindingDraft } from './FindingDraft';
import { closest } from './closest';
import { containerEnv, envValue, UNKNOWN } from './containerEnv';
import { containersOf, isMap, podSpecsOf, type ContainerRef, type PodSpecRef } from './podSpecs';
import { hasPreloadFlag, splitNodeOptions } from './preloadOf';
import { objectsParameterOf, PROVIDERS } from './providerParameters';
import { readProviderObjects } from './readProviderObjects';

/** The Secrets Store CSI driver's name in a pod's `csi` volume. */
export const SECRETS_STORE_DRIVER = 'secrets-store.csi.k8s.io';

const VOLUME_MOUNT_FIELDS = ['name', 'mountPath', 'readOnly', 'recursiveReadOnly', 'subPath', 'subPathExpr', 'mountPropagation'];

/**
 * Cross-check manifests against the convict schema the service loads (SECRETS_SCHEMA):
 *
 * 1. Every SecretProviderClass writes a file for every required secret of the schema (objectAlias, or
 *    objectName when there is none, or the provider's own file name rule), and no file the schema does not
 *    declare; each such file holds the plain value (not a directory, not a whole JSON response).
 * 2. Every pod that mounts a Secrets Store CSI volume mounts it read-only, whole (no subPath: its files never
 *    update on rotation), names a SecretProviderClass of the set, and each service container that mounts it
 *    starts the preload (NODE_OPTIONS or `node -r`) with SECRETS_SOURCE reading the mount and SECRETS_SCHEMA set.
 * 3. Every SecretProviderClass is mounted by some workload.
 *
 * @example
 * ```ts
 * const schema = require('./examples/schema.js');
 * const findings = crossCheckSchema(parseManifests(rendered, 'overlays/aws (kustomize build)'), schema);
 * ```
 */
export function crossCheckSchema(docs: readonly ManifestDocument[], schema: SecretsSchema): ManifestFinding[] {
  const findings: ManifestFinding[] = [];
  const resources = docs.filter((d) => d.role === 'resource' && d.problems.length === 0 && isMap(d.object));
  const spcs = resources.filter((d) => (d.object as { kind?: unknown }).kind === 'SecretProviderClass');
  const names = Object.keys(schema);
  const required = names.filter((n) => schema[n]?.default === null || schema[n]?.default === undefined);
  const mounted = new Set<ManifestDocument>();

  for (const doc of spcs) findings.push(...checkSecretProviderClass(doc, names, required).map((d) => toFinding(doc, d)));

  for (const pod of podSpecsOf(resources)) {
    const drafts: FindingDraft[] = [];
    const volumes = Array.isArray(pod.spec.volumes) ? pod.spec.volumes : [];
    volumes.forEach((v, vi) => {
      if (!isMap(v) || !isMap(v.csi) || v.csi.driver !== SECRETS_STORE_DRIVER) return;
      const volumeName = typeof v.name === 'string' ? v.name : '';
      const at = (...rest: (string | number)[]): YamlPath => [...pod.path, 'volumes', vi, ...rest];
      if (v.csi.readOnly !== true) {
        drafts.push({ severity: 'error', rule: 'csi-volume', path: at('csi', 'readOnly'), message: `the Secrets Store CSI volume ${volumeName} is not read-only; the driver refuses to mount it.`, fix: 'Set csi.readOnly: true.' });
      }
      const attrs = isMap(v.csi.volumeAttributes) ? v.csi.volumeAttributes : {};
      const spcName = attrs.secretProviderClass;
      if (typeof spcName !== 'string' || spcName === '') {
        drafts.push({ severity: 'error', rule: 'csi-volume', path: at('csi', 'volumeAttributes'), message: `the Secrets Store CSI volume ${volumeName} names no SecretProviderClass.`, fix: 'Set csi.volumeAttributes.secretProviderClass to the SecretProviderClass name.' });
      } else {
        const matches = spcs.filter((s) => sameObject(s, spcName, pod.doc));
        matches.forEach((m) => mounted.add(m));
        if (matches.length === 0) {
          drafts.push({
            severity: spcs.length === 0 ? 'warning' : 'error',
            rule: 'csi-volume',
            path: at('csi', 'volumeAttributes', 'secretProviderClass'),
            message: `the CSI volume ${volumeName} uses SecretProviderClass ${spcName}, which ${spcs.length === 0 ? 'is not among these manifests (not checked)' : `these manifests do not define in the pod's namespace (they define ${spcs.map((s) => nameOf(s)).join(', ')})`}.`,
            fix: spcs.length === 0 ? 'Check the manifests together with the SecretProviderClass (render the overlay).' : 'Use the name of the SecretProviderClass, in the same namespace.',
          });
        }
      }
      drafts.push(...checkMounts(pod, volumeName, docs));
    });
    findings.push(...drafts.map((d) => toFinding(pod.doc, d)));
  }

  for (const doc of spcs) {
    if (!mounted.has(doc)) {
      findings.push(toFinding(doc, { severity: 'error', rule: 'mount-missing', path: ['metadata', 'name'], message: `no workload in these manifests mounts SecretProviderClass ${nameOf(doc)}.`, fix: `Add a csi volume (driver ${SECRETS_STORE_DRIVER}, readOnly: true, volumeAttributes.secretProviderClass: ${nameOf(doc)}) to the Deployment and mount it read-only; check the SecretProviderClass together with its Deployment.` }));
    }
  }
  return findings;
}

function checkSecretProviderClass(doc: ManifestDocument, names: readonly string[], required: readonly string[]): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  const spec = (doc.object as { spec?: { provider?: unknown; parameters?: Record<string, unknown> } }).spec;
  const provider = typeof spec?.provider === 'string' ? spec.provider : '';
  // An unknown provider or a missing object list is reported by validateManifests; naming every secret missing
  // on top of that would only repeat it.
  if (!PROVIDERS.includes(provider) || typeof spec?.parameters?.[objectsParameterOf(provider)] !== 'string') return drafts;
  const { files, findings } = readProviderObjects(doc);
  if (files.length === 0 && findings.length > 0) return drafts; // the object list is broken: validateManifests says why
  const objectsPath: YamlPath = ['spec', 'parameters', objectsParameterOf(provider)];
  const byName = new Map(files.map((f) => [f.name, f]));
  const aliasWord = provider === 'vault' ? 'objectName' : provider === 'gcp' ? 'path' : 'objectAlias';

  for (const name of required) {
    if (byName.has(name)) continue;
    drafts.push({
      severity: 'error',
      rule: 'schema-missing-alias',
      path: objectsPath,
      message: `the schema requires ${name}, but no object of this SecretProviderClass writes a file named ${name}; the service would exit 78 ("${name}: is required but no source has it").`,
      fix: `Add an object for ${name} with ${aliasWord}: ${name}${provider === 'vault' ? ' (the Vault provider names the file after objectName)' : ''}.`,
    });
  }
  for (const f of files) {
    const base = { path: f.path, ...(f.line !== undefined ? { line: f.line } : {}) };
    if (!names.includes(f.name)) {
      if (f.isWholeJson) continue; // the AWS provider writes the whole JSON beside its jmesPath files; the preload ignores it
      const near = closest(f.name, names);
      drafts.push({ ...base, severity: 'error', rule: 'schema-unknown-alias', message: `object ${f.objectIndex + 1} writes ${f.name}, which the schema does not declare${near ? ` (did you mean ${near}?)` : ''}; the preload never reads it.`, fix: near ? `Rename the ${aliasWord} to ${near}.` : `Set the ${aliasWord} to one of the schema's names (${names.join(', ')}), or remove the object.` });
      continue;
    }
    if (f.isDirectory) {
      drafts.push({ ...base, severity: 'error', rule: 'schema-value-shape', message: `object ${f.objectIndex + 1} has objectVersionHistory > 1, so ${f.name} becomes a directory of versions; the preload refuses a directory where it expects the value.`, fix: 'Remove objectVersionHistory (or set it to 1).' });
    }
    if (provider === 'vault' && (f.object.secretKey === undefined || f.object.secretKey === '')) {
      drafts.push({ ...base, severity: 'error', rule: 'schema-value-shape', message: `object ${f.objectIndex + 1} has no secretKey, so ${f.name} would hold the whole JSON response, not the value.`, fix: 'Add secretKey (the key of the KV data; "value" for secrets written by this library).' });
    }
  }
  return drafts;
}

function checkMounts(pod: PodSpecRef, volumeName: string, docs: readonly ManifestDocument[]): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  let mountCount = 0;
  for (const c of containersOf(pod)) {
    const mounts = Array.isArray(c.container.volumeMounts) ? c.container.volumeMounts : [];
    mounts.forEach((m, mi) => {
      if (!isMap(m) || m.name !== volumeName) return;
      mountCount++;
      const at = (...rest: (string | number)[]): YamlPath => [...c.path, 'volumeMounts', mi, ...rest];
      for (const key of Object.keys(m)) {
        if (!VOLUME_MOUNT_FIELDS.includes(key)) {
          const near = closest(key, VOLUME_MOUNT_FIELDS);
          drafts.push({ severity: 'error', rule: near === 'readOnly' ? 'mount-read-only' : 'csi-volume', path: at(key), message: `container ${c.name} mounts ${volumeName} with an unknown field "${key}", which Kubernetes ignores.`, fix: near ? `Did you mean "${near}"?` : 'Remove it.' });
        }
      }
      if (m.readOnly !== true) {
        drafts.push({ severity: 'error', rule: 'mount-read-only', path: at('readOnly'), message: `container ${c.name} mounts the secrets volume ${volumeName} writable.`, fix: 'Set readOnly: true on the volumeMount: the app must never write the mount.' });
      }
      for (const key of ['subPath', 'subPathExpr'] as const) {
        if (m[key] !== undefined) {
          drafts.push({ severity: 'error', rule: 'mount-subpath', path: at(key), message: `container ${c.name} mounts ${volumeName} with ${key}; subPath mounts never see rotated files (kubernetes#50345), and the preload needs the whole directory.`, fix: `Remove ${key} and mount the whole volume (e.g. at /mnt/secrets-store), then point SECRETS_SOURCE at it.` });
        }
      }
      if (typeof m.mountPath === 'string') drafts.push(...checkPreload(pod, c, m.mountPath, docs));
    });
  }
  if (mountCount === 0) {
    drafts.push({ severity: 'warning', rule: 'mount-missing', path: [...pod.path, 'volumes'], message: `no container mounts the Secrets Store CSI volume ${volumeName}.`, fix: 'Mount it read-only in the container that reads the secrets, or remove the volume.' });
  }
  return drafts;
}

/** A service container that reads the mount must start the preload, with settings that point at the mount. */
function checkPreload(pod: PodSpecRef, c: ContainerRef, mountPath: string, docs: readonly ManifestDocument[]): FindingDraft[] {
  const drafts: FindingDraft[] = [];
  const words = [...stringList(c.container.command), ...stringList(c.container.args)];
  const runsCli = words.some((w) => /(^|\/)vc-secrets$/.test(w));
  const isService = pod.isLongRunning && !c.isInit;
  if (!isService && !runsCli) return drafts;
  const env = containerEnv(c.container, docs);
  const envPath = (name: string): YamlPath => {
    const list = Array.isArray(c.container.env) ? c.container.env : [];
    const i = list.findIndex((e) => isMap(e) && e.name === name);
    return i >= 0 ? [...c.path, 'env', i, 'value'] : [...c.path, 'env'];
  };

  if (isService && !runsCli) {
    const nodeOptions = envValue(env, 'NODE_OPTIONS');
    const inOptions = typeof nodeOptions === 'string' && hasPreloadFlag(splitNodeOptions(nodeOptions));
    const inCommand = hasPreloadFlag(words);
    if (!inOptions && !inCommand) {
      drafts.push(nodeOptions === UNKNOWN
        ? { severity: 'warning', rule: 'preload-missing', path: envPath('NODE_OPTIONS'), message: `container ${c.name}: NODE_OPTIONS comes from a source the manifests do not show; cannot tell whether the preload runs.`, fix: 'Set NODE_OPTIONS=--require=@valuecanvas/secrets/register as a literal value.' }
        : { severity: 'error', rule: 'preload-missing', path: typeof nodeOptions === 'string' ? envPath('NODE_OPTIONS') : [...c.path, 'env'], message: `container ${c.name} reads the secrets mount but does not start the preload (no --require=@valuecanvas/secrets/register in NODE_OPTIONS or its command); nothing validates or loads the secrets before the app.`, fix: 'Add env NODE_OPTIONS=--require=@valuecanvas/secrets/register (or command: [node, -r, @valuecanvas/secrets/register, app.js]).' });
    }
  }

  const source = envValue(env, 'SECRETS_SOURCE');
  const normal = mountPath.replace(/\/+$/, '');
  if (source === undefined) {
    drafts.push({ severity: 'error', rule: 'preload-settings', path: [...c.path, 'env'], message: `container ${c.name} mounts the secrets at ${mountPath} but sets no SECRETS_SOURCE; the preload exits 78.`, fix: `Add env SECRETS_SOURCE=file://${normal}.` });
  } else if (typeof source === 'string') {
    const entries = source.split(/[,|]/).map((s) => s.trim().replace(/\/+$/, ''));
    if (!entries.some((e) => e === normal || e === `file://${normal}`)) {
      drafts.push({ severity: 'error', rule: 'preload-settings', path: envPath('SECRETS_SOURCE'), message: `container ${c.name} mounts the secrets at ${mountPath}, but SECRETS_SOURCE (${source}) does not read that directory.`, fix: `Set SECRETS_SOURCE=file://${normal} (or change the mountPath).` });
    }
  }
  if (envValue(env, 'SECRETS_SCHEMA') === undefined) {
    drafts.push({ severity: 'error', rule: 'preload-settings', path: [...c.path, 'env'], message: `container ${c.name} sets no SECRETS_SCHEMA; the preload exits 78.`, fix: 'Add env SECRETS_SCHEMA=<path of the schema module in the image>.' });
  }
  const nodeEnv = envValue(env, 'NODE_ENV');
  if (nodeEnv !== UNKNOWN && nodeEnv !== 'production') {
    const isDevelopment = nodeEnv === 'development' || nodeEnv === 'test';
    const message = isDevelopment
      ? `container ${c.name} sets NODE_ENV=${nodeEnv}, which turns the preload's production guards off (env: source allowed, variables named like secrets kept in process.env); set NODE_ENV=production.`
      : `container ${c.name} does not set NODE_ENV=production: the preload's guards stay on (only development and test turn them off), but the audit defaults (fail-closed, no random HMAC key) follow NODE_ENV=production exactly.`;
    drafts.push({ severity: 'warning', rule: 'preload-settings', path: nodeEnv === undefined ? [...c.path, 'env'] : envPath('NODE_ENV'), message, fix: 'Add env NODE_ENV=production.' });
  }
  return drafts;
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function nameOf(doc: ManifestDocument): string {
  return String((doc.object as { metadata?: { name?: unknown } }).metadata?.name);
}

/** Same name, and same namespace when both say one. */
function sameObject(spc: ManifestDocument, name: string, from: ManifestDocument): boolean {
  const a = (spc.object as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
  const b = (from.object as { metadata?: { namespace?: unknown } }).metadata;
  if (a?.name !== name) return false;
  return a?.namespace === undefined || b?.namespace === undefined || a.namespace === b.namespace;
}
