import type { ManifestDocument } from './ManifestDocument';
import type { FindingDraft } from './FindingDraft';
import { closest } from './closest';
import { PROVIDER_PARAMETERS, PROVIDERS, objectsParameterOf } from './providerParameters';
import { readProviderObjects } from './readProviderObjects';

const SPEC_KEYS = ['provider', 'parameters', 'secretObjects'];
const SECRET_OBJECT_KEYS = ['secretName', 'type', 'labels', 'annotations', 'data'];
const SECRET_OBJECT_DATA_KEYS = ['objectName', 'key'];
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * Check a SecretProviderClass (secrets-store.csi.x-k8s.io/v1) against the CRD's spec and its provider's
 * format: the spec's fields, the provider's parameter names and values (all strings), the object list in
 * `parameters.objects` (YAML in a string, parsed and checked per provider) and `secretObjects`.
 *
 * @example
 * ```ts
 * const drafts = validateSecretProviderClass(doc); // doc.object.kind === 'SecretProviderClass'
 * ```
 */
export function validateSecretProviderClass(doc: ManifestDocument): FindingDraft[] {
  const findings: FindingDraft[] = [];
  const err = (path: (string | number)[], message: string, fix: string, rule: FindingDraft['rule'] = 'spc-schema') => findings.push({ severity: 'error', rule, path, message, fix });
  const warn = (path: (string | number)[], message: string, fix: string, rule: FindingDraft['rule'] = 'spc-schema') => findings.push({ severity: 'warning', rule, path, message, fix });
  const o = doc.object as { apiVersion?: unknown; metadata?: { name?: unknown }; spec?: unknown };

  if (o.apiVersion !== 'secrets-store.csi.x-k8s.io/v1') {
    warn(['apiVersion'], `apiVersion ${String(o.apiVersion)} is deprecated or unknown.`, 'Use apiVersion: secrets-store.csi.x-k8s.io/v1.');
  }
  const name = o.metadata?.name;
  if (typeof name === 'string' && (!DNS_SUBDOMAIN.test(name) || name.length > 253)) {
    err(['metadata', 'name'], `metadata.name "${name}" is not a valid object name.`, 'Use lowercase letters, digits, "-" and "." (at most 253 characters).');
  }
  const spec = o.spec;
  if (!isMap(spec)) {
    err(['spec'], 'spec is missing or not a mapping.', 'Add spec with provider and parameters.');
    return findings;
  }
  for (const key of Object.keys(spec)) {
    if (!SPEC_KEYS.includes(key)) err(['spec', key], `spec has an unknown field "${key}".`, hint(key, SPEC_KEYS));
  }
  const provider = spec.provider;
  if (typeof provider !== 'string' || !PROVIDERS.includes(provider)) {
    err(['spec', 'provider'], `spec.provider ${provider === undefined ? 'is missing' : `"${String(provider)}" is not a known provider`}.`, `Set spec.provider to one of ${PROVIDERS.join(', ')}.`);
    return findings;
  }
  const parameters = spec.parameters;
  if (!isMap(parameters)) {
    err(['spec', 'parameters'], 'spec.parameters is missing or not a mapping.', `Add spec.parameters with at least ${objectsParameterOf(provider)}.`);
    return findings;
  }

  // Parameters: a string map in the CRD; every name is one the provider reads.
  const rules = PROVIDER_PARAMETERS[provider]!;
  const known = Object.keys(rules);
  for (const [key, value] of Object.entries(parameters)) {
    const at = ['spec', 'parameters', key];
    if (typeof value !== 'string') {
      err(at, `parameters.${key} must be a string, not ${value === null ? 'empty' : typeof value}; the API server refuses the object.`, `Quote the value: ${key}: "${value === null ? '' : String(value)}".`, 'spc-parameter');
      continue;
    }
    const rule = rules[key];
    if (!rule) {
      const near = closest(key, known);
      const elsewhere = PROVIDERS.filter((p) => p !== provider && PROVIDER_PARAMETERS[p]![key] !== undefined);
      err(at, `"${key}" is not a parameter of provider ${provider}${elsewhere.length ? ` (it is one of ${elsewhere.join(', ')})` : ''}; the provider ignores it.`, near ? `Did you mean "${near}"? Parameters of ${provider}: ${known.join(', ')}.` : `Parameters of ${provider}: ${known.join(', ')}.`, 'spc-parameter');
      continue;
    }
    if (rule.pattern && !rule.pattern.test(value)) err(at, `parameters.${key} "${value}" is not valid.`, `Use ${rule.expected ?? rule.pattern.source}.`, 'spc-parameter');
    if (rule.deprecatedFor) warn(at, `parameters.${key} is deprecated.`, `Use ${rule.deprecatedFor} instead.`, 'spc-parameter');
    if (rule.unsafeValue?.test(value)) warn(at, `parameters.${key}: "${value}" ${rule.unsafeReason ?? 'weakens security'}.`, `Remove ${key} or set it to "false".`, 'spc-parameter');
  }
  for (const [key, rule] of Object.entries(rules)) {
    if (rule.isRequired && parameters[key] === undefined) err(['spec', 'parameters'], `provider ${provider} needs parameters.${key}, which is missing.`, `Add parameters.${key}.`, 'spc-parameter');
  }
  if (provider === 'azure' && parameters.tenantID === undefined && parameters.tenantId === undefined) {
    err(['spec', 'parameters'], 'provider azure needs the tenant id (parameters.tenantID, or the older tenantId), which is missing.', 'Add parameters.tenantId with the Azure AD tenant id.', 'spc-parameter');
  }

  // The object list (YAML in a string), checked per provider.
  const objects = readProviderObjects(doc);
  findings.push(...objects.findings);

  // secretObjects: sync to a Kubernetes Secret.
  const secretObjects = spec.secretObjects;
  if (secretObjects !== undefined) {
    if (!Array.isArray(secretObjects)) err(['spec', 'secretObjects'], 'spec.secretObjects must be a list.', 'Write secretObjects as a list of { secretName, type, data }.');
    else {
      const fileNames = new Set(objects.files.map((f) => f.name));
      secretObjects.forEach((so, i) => {
        const at = ['spec', 'secretObjects', i];
        if (!isMap(so)) return err(at, `secretObjects[${i}] must be a mapping.`, 'Give secretName, type and data.');
        for (const key of Object.keys(so)) if (!SECRET_OBJECT_KEYS.includes(key)) err([...at, key], `secretObjects[${i}] has an unknown field "${key}".`, hint(key, SECRET_OBJECT_KEYS));
        if (typeof so.secretName !== 'string' || !DNS_SUBDOMAIN.test(so.secretName)) err([...at, 'secretName'], `secretObjects[${i}].secretName is missing or not a valid name.`, 'Set secretName to the name of the Kubernetes Secret to create.');
        if (typeof so.type !== 'string') err([...at, 'type'], `secretObjects[${i}].type is missing.`, 'Set type, e.g. Opaque.');
        if (!Array.isArray(so.data) || so.data.length === 0) err([...at, 'data'], `secretObjects[${i}].data is missing or empty.`, 'List { objectName, key } pairs.');
        else so.data.forEach((d, j) => {
          const dat = [...at, 'data', j];
          if (!isMap(d)) return err(dat, `secretObjects[${i}].data[${j}] must be a mapping.`, 'Give objectName and key.');
          for (const key of Object.keys(d)) if (!SECRET_OBJECT_DATA_KEYS.includes(key)) err([...dat, key], `secretObjects[${i}].data[${j}] has an unknown field "${key}".`, hint(key, SECRET_OBJECT_DATA_KEYS));
          if (typeof d.key !== 'string' || d.key === '') err([...dat, 'key'], `secretObjects[${i}].data[${j}].key is missing.`, 'Set key, the key in the Kubernetes Secret.');
          if (typeof d.objectName !== 'string') err([...dat, 'objectName'], `secretObjects[${i}].data[${j}].objectName is missing.`, 'Set objectName to the objectAlias (or objectName) of an object.');
          else if (objects.findings.length === 0 && !fileNames.has(d.objectName)) err([...dat, 'objectName'], `secretObjects[${i}].data[${j}].objectName "${d.objectName}" is not a file any object writes.`, `Use one of: ${[...fileNames].join(', ') || '(no objects)'}.`);
        });
      });
      warn(['spec', 'secretObjects'], 'secretObjects copies the values into a Kubernetes Secret (stored in etcd, readable by anyone who may read Secrets in the namespace); the preload reads the mount and does not need it.', 'Remove secretObjects unless something else needs the Kubernetes Secret.');
    }
  }
  return findings;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}

function hint(key: string, known: readonly string[]): string {
  const near = closest(key, known);
  return near ? `Did you mean "${near}"? Fields: ${known.join(', ')}.` : `Remove it; fields: ${known.join(', ')}.`;
}
