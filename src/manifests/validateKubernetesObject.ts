import type { FindingDraft } from './FindingDraft';

/** One ajv error as kubernetes-models reports it. */
interface SchemaError {
  instancePath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}

type ModelClass = new (data: unknown) => { validate(): void };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const VERSION = /^v\d+((alpha|beta)\d+)?$/;
const KIND = /^[A-Z][A-Za-z0-9]*$/;
const models = new Map<string, ModelClass | undefined>();

let isInstalled: boolean | undefined;

/**
 * Whether the `kubernetes-models` package (the schemas) can be loaded. It is loaded only when manifests are
 * checked, so services that never do this need not install it.
 */
export function hasKubernetesModels(): boolean {
  if (isInstalled === undefined) {
    try {
      require('kubernetes-models/v1/ServiceAccount');
      isInstalled = true;
    } catch {
      isInstalled = false;
    }
  }
  return isInstalled;
}

/**
 * The kubernetes-models class of an apiVersion and kind (e.g. `apps/v1` Deployment →
 * `kubernetes-models/apps/v1/Deployment`), or `undefined` when the package has no schema for it (custom
 * resources). The names are checked before they become a module path.
 */
export function modelOf(apiVersion: string, kind: string): ModelClass | undefined {
  const key = `${apiVersion}/${kind}`;
  if (models.has(key)) return models.get(key);
  let model: ModelClass | undefined;
  const parts = apiVersion.split('/');
  const group = parts.length === 2 ? parts[0]! : '';
  const version = parts[parts.length - 1]!;
  const groupIsSafe = group === '' || group.split('.').every((label) => DNS_LABEL.test(label));
  if (parts.length <= 2 && groupIsSafe && VERSION.test(version) && KIND.test(kind)) {
    try {
      const mod = require(`kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`) as Record<string, unknown>;
      const candidate = mod[kind];
      if (typeof candidate === 'function') model = candidate as ModelClass;
    } catch {
      model = undefined;
    }
  }
  models.set(key, model);
  return model;
}

/**
 * Validate an object against the Kubernetes OpenAPI schema of its kind (through kubernetes-models). Returns
 * `undefined` when no schema is known for the kind, else the problems (empty when valid), one per field.
 *
 * @example
 * ```ts
 * validateKubernetesObject({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x' }, spec: {} });
 * // [{ rule: 'kubernetes-schema', path: ['spec', 'selector'], message: 'spec.selector is required ...', ... }]
 * ```
 */
export function validateKubernetesObject(object: { apiVersion: string; kind: string }): FindingDraft[] | undefined {
  const Model = modelOf(object.apiVersion, object.kind);
  if (!Model) return undefined;
  try {
    new Model(object).validate();
    return [];
  } catch (error) {
    const errors = (error as { errors?: SchemaError[] }).errors;
    if (!Array.isArray(errors)) {
      return [{ severity: 'error', rule: 'kubernetes-schema', path: [], message: `does not match the schema of ${object.kind}: ${(error as Error).message}`, fix: `Correct the object (kubectl explain ${object.kind.toLowerCase()}).` }];
    }
    return draftsOf(errors, object.kind);
  }
}

/** One draft per field: several ajv errors on one field (int-or-string unions) become one message. */
function draftsOf(errors: SchemaError[], kind: string): FindingDraft[] {
  const byPath = new Map<string, { path: (string | number)[]; messages: string[]; fixes: string[] }>();
  for (const e of errors) {
    const path = e.instancePath.split('/').slice(1).map(unescapePointer).map((s) => (/^\d+$/.test(s) ? Number(s) : s)) as (string | number)[];
    let message: string;
    let fix: string;
    if (e.keyword === 'required' && typeof e.params.missingProperty === 'string') {
      path.push(e.params.missingProperty);
      message = 'is required';
      fix = `Add ${e.params.missingProperty}.`;
    } else if (e.keyword === 'type') {
      message = `must be ${article(String(e.params.type))}`;
      fix = e.params.type === 'string' ? 'Quote the value.' : e.params.type === 'boolean' || e.params.type === 'integer' || e.params.type === 'number' ? `Write an unquoted ${String(e.params.type)}.` : `Write the field as ${article(String(e.params.type))}.`;
    } else if (e.keyword === 'enum' && Array.isArray(e.params.allowedValues)) {
      message = `must be one of ${e.params.allowedValues.map(String).join(', ')}`;
      fix = `Use one of ${e.params.allowedValues.map(String).join(', ')}.`;
    } else if (e.keyword === 'oneOf' || e.keyword === 'anyOf') {
      continue;
    } else {
      message = e.message ?? e.keyword;
      fix = 'Correct the value.';
    }
    const key = JSON.stringify(path);
    const entry = byPath.get(key) ?? { path, messages: [], fixes: [] };
    if (!entry.messages.includes(message)) entry.messages.push(message);
    if (!entry.fixes.includes(fix)) entry.fixes.push(fix);
    byPath.set(key, entry);
  }
  return [...byPath.values()].map(({ path, messages, fixes }) => {
    const field = path.map((p) => (typeof p === 'number' ? `[${p}]` : p)).join('.').replace(/\.\[/g, '[');
    const explain = [kind.toLowerCase(), ...path.filter((p): p is string => typeof p === 'string')].join('.');
    return {
      severity: 'error' as const,
      rule: 'kubernetes-schema' as const,
      path,
      message: `${field || 'the object'} ${messages.join(' or ')} (schema of ${kind}); the API server refuses it.`,
      fix: `${fixes.join(' / ')} See: kubectl explain ${explain}`,
    };
  });
}

function unescapePointer(s: string): string {
  return s.replace(/~1/g, '/').replace(/~0/g, '~');
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
