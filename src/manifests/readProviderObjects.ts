import type { ManifestDocument, YamlPath } from './ManifestDocument';
import type { FindingDraft } from './FindingDraft';
import { closest } from './closest';
import { objectsParameterOf } from './providerParameters';
import { parseYamlSource, type YamlSourceDocument } from './yamlSource';

/** A file that a SecretProviderClass object makes the provider write into the mount. */
export interface ProviderFile {
  /** The file name in the mount (objectAlias, or objectName when there is none, as the provider derives it). */
  name: string;
  /** Where the name comes from, e.g. `spec.parameters.objects[0].objectAlias`. */
  path: YamlPath;
  line?: number;
  /** Index of the object in the provider's list. */
  objectIndex: number;
  /** The object's fields as parsed. */
  object: Readonly<Record<string, unknown>>;
  /** AWS: the whole JSON of a secret whose fields are also split out with jmesPath. */
  isWholeJson?: boolean;
  /** Azure: objectVersionHistory > 1 makes a directory `<name>/<n>`, not a file. */
  isDirectory?: boolean;
}

/** The files an SPC writes, and what is wrong with its object list. */
export interface ProviderObjects {
  files: ProviderFile[];
  findings: FindingDraft[];
}

type FieldType = 'string' | 'scalar' | 'int' | 'list' | 'map';
interface FieldRule {
  type: FieldType;
  isRequired?: boolean;
  values?: readonly string[];
  pattern?: RegExp;
  expected?: string;
}

const OCTAL_STRING = /^0?[0-7]{3,4}$/;

// Fields of one object, per provider, from the providers' sources. AWS decodes through sigs.k8s.io/yaml (JSON
// types: a string field refuses a number), Vault and Azure through go-yaml (a string field takes any scalar).
const AWS_FIELDS: Record<string, FieldRule> = {
  objectName: { type: 'string', isRequired: true },
  objectType: { type: 'string', values: ['secretsmanager', 'ssmparameter'] },
  objectAlias: { type: 'string' },
  objectVersion: { type: 'string' },
  objectVersionLabel: { type: 'string' },
  jmesPath: { type: 'list' },
  failoverObject: { type: 'map' },
  objectTemplate: { type: 'string' },
  filePermission: { type: 'string', pattern: OCTAL_STRING, expected: 'a quoted octal string such as "0600"' },
};
const AWS_JMES_FIELDS: Record<string, FieldRule> = {
  path: { type: 'string', isRequired: true },
  objectAlias: { type: 'string', isRequired: true },
};
const AWS_FAILOVER_FIELDS: Record<string, FieldRule> = {
  objectName: { type: 'string', isRequired: true },
  objectVersion: { type: 'string' },
  objectVersionLabel: { type: 'string' },
};
const VAULT_FIELDS: Record<string, FieldRule> = {
  objectName: { type: 'string', isRequired: true },
  secretPath: { type: 'string', isRequired: true },
  secretKey: { type: 'scalar' },
  method: { type: 'scalar', values: ['GET', 'POST', 'get', 'post'] },
  secretArgs: { type: 'map' },
  encoding: { type: 'scalar', values: ['utf-8', 'hex', 'base64'] },
  filePermission: { type: 'int', expected: 'an unquoted YAML integer such as 0600 (read as octal)' },
};
const AZURE_FIELDS: Record<string, FieldRule> = {
  objectName: { type: 'string', isRequired: true },
  objectType: { type: 'scalar', isRequired: true, values: ['secret', 'key', 'cert'] },
  objectAlias: { type: 'string' },
  objectVersion: { type: 'scalar' },
  objectVersionHistory: { type: 'int' },
  objectFormat: { type: 'scalar', values: ['pem', 'pfx'] },
  objectEncoding: { type: 'scalar', values: ['utf-8', 'hex', 'base64'] },
  filePermission: { type: 'scalar', pattern: OCTAL_STRING, expected: 'an octal string such as "0600"' },
};
const GCP_FIELDS: Record<string, FieldRule> = {
  resourceName: { type: 'string', isRequired: true },
  fileName: { type: 'string' },
  path: { type: 'string' },
  mode: { type: 'int' },
  extractJSONKey: { type: 'string' },
  extractYAMLKey: { type: 'string' },
};

/**
 * Parse the object list of a SecretProviderClass (`parameters.objects`, a YAML document inside a string; for
 * Azure an `array:` of YAML strings, each a document again), check every object against its provider's format,
 * and list the files the provider will write. Lines point into the manifest file, through the nested YAML.
 */
export function readProviderObjects(doc: ManifestDocument): ProviderObjects {
  const spec = (doc.object as { spec?: { provider?: unknown; parameters?: Record<string, unknown> } }).spec;
  const provider = typeof spec?.provider === 'string' ? spec.provider : '';
  const param = objectsParameterOf(provider);
  const base: YamlPath = ['spec', 'parameters', param];
  const out: ProviderObjects = { files: [], findings: [] };
  const text = spec?.parameters?.[param];
  if (typeof text !== 'string') return out; // reported by the parameter checks
  const root = parseNested(text, doc.textLineOf(base) ?? doc.lineOf(base), base, out.findings, `${param} of provider ${provider}`);
  if (!root) return out;

  const params = spec?.parameters ?? {};
  if (provider === 'azure') readAzure(root, base, out);
  else {
    const list = root.source.value;
    if (!Array.isArray(list) || list.length === 0) {
      out.findings.push(objectsError(base, root.source.lineOf([]), `${param} must be a YAML list of objects${Array.isArray(list) ? ', and it is empty' : ''}.`, `Write ${param} as a block string (\`${param}: |\`) holding a list, one "- objectName: ..." item per secret.`));
      return out;
    }
    list.forEach((item, i) => {
      const at = (...rest: (string | number)[]): YamlPath => [...base, i, ...rest];
      const lineAt = (...rest: (string | number)[]) => root.source.lineOf([i, ...rest]);
      if (provider === 'aws') readAws(item, i, at, lineAt, params, out);
      else if (provider === 'vault') readVault(item, i, at, lineAt, out);
      else if (provider === 'gcp') readGcp(item, i, at, lineAt, out);
    });
  }
  checkDuplicates(provider, out);
  return out;
}

interface Nested {
  source: YamlSourceDocument;
}

function parseNested(text: string, firstLine: number | undefined, path: YamlPath, findings: FindingDraft[], what: string): Nested | undefined {
  const docs = parseYamlSource(text, firstLine ?? 1);
  const problems = docs.flatMap((d) => d.problems);
  if (problems.length > 0) {
    const at = /^line (\d+):/.exec(problems[0]!);
    findings.push(objectsError(path, at ? Number(at[1]) : firstLine, `${what} is not valid YAML: ${problems[0]}.`, 'Fix the YAML inside the string: indentation, quoting, one key per line (it is parsed as its own YAML document).'));
    return undefined;
  }
  if (docs.length !== 1) {
    findings.push(objectsError(path, firstLine, `${what} must hold exactly one YAML document, not ${docs.length}.`, 'Remove the extra "---" separators inside the string.'));
    return undefined;
  }
  return { source: docs[0]! };
}

function objectsError(path: YamlPath, line: number | undefined, message: string, fix: string): FindingDraft {
  return { severity: 'error', rule: 'spc-objects', path, ...(line !== undefined ? { line } : {}), message, fix };
}

/** Check the fields of one object against a table; returns the object when it is a mapping. */
function checkFields(item: unknown, rules: Record<string, FieldRule>, at: (...rest: (string | number)[]) => YamlPath, lineAt: (...rest: (string | number)[]) => number | undefined, what: string, findings: FindingDraft[]): Record<string, unknown> | undefined {
  if (!item || typeof item !== 'object' || Array.isArray(item)) {
    findings.push(objectsError(at(), lineAt(), `${what} must be a mapping (objectName: ..., ...), not ${describe(item)}.`, 'Write each object as "- key: value" lines.'));
    return undefined;
  }
  const obj = item as Record<string, unknown>;
  const known = Object.keys(rules);
  for (const key of Object.keys(obj)) {
    if (!(key in rules)) {
      const near = closest(key, known);
      findings.push(objectsError(at(key), lineAt(key), `${what} has an unknown field "${key}"; the provider ignores it.`, near ? `Did you mean "${near}"? Fields: ${known.join(', ')}.` : `Use only: ${known.join(', ')}.`));
    }
  }
  for (const [key, rule] of Object.entries(rules)) {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (rule.isRequired) findings.push(objectsError(at(), lineAt(), `${what} has no ${key}.`, `Add ${key}.`));
      continue;
    }
    const typeProblem = checkType(v, rule);
    if (typeProblem) {
      findings.push(objectsError(at(key), lineAt(key), `${what}: ${key} ${typeProblem}.`, rule.expected ? `Write ${key} as ${rule.expected}.` : fixForType(key, rule.type)));
      continue;
    }
    const s = typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
    if (s !== undefined && rule.values && !rule.values.includes(s)) {
      findings.push(objectsError(at(key), lineAt(key), `${what}: ${key} "${s}" is not one of ${rule.values.join(', ')}.`, `Use one of ${rule.values.join(', ')}.`));
    } else if (typeof v === 'string' && rule.pattern && !rule.pattern.test(v)) {
      findings.push(objectsError(at(key), lineAt(key), `${what}: ${key} "${v}" is malformed.`, `Write ${key} as ${rule.expected ?? rule.pattern.source}.`));
    } else if (typeof v === 'string' && v.trim() === '' && rule.type === 'string') {
      findings.push(objectsError(at(key), lineAt(key), `${what}: ${key} is empty.`, `Give ${key} a value or remove it.`));
    }
  }
  return obj;
}

function checkType(v: unknown, rule: FieldRule): string | undefined {
  switch (rule.type) {
    case 'string':
      return typeof v === 'string' ? undefined : `must be a string, not ${describe(v)}`;
    case 'scalar':
      return ['string', 'number', 'boolean'].includes(typeof v) ? undefined : `must be a single value, not ${describe(v)}`;
    case 'int':
      return Number.isInteger(v) ? undefined : `must be an integer, not ${describe(v)}`;
    case 'list':
      return Array.isArray(v) ? undefined : `must be a list, not ${describe(v)}`;
    case 'map':
      return v && typeof v === 'object' && !Array.isArray(v) ? undefined : `must be a mapping, not ${describe(v)}`;
  }
}

function fixForType(key: string, type: FieldType): string {
  if (type === 'string') return `Quote the value of ${key} ("...").`;
  if (type === 'int') return `Write ${key} as an unquoted integer.`;
  if (type === 'list') return `Write ${key} as a YAML list ("- ..." items).`;
  if (type === 'map') return `Write ${key} as a mapping (key: value lines).`;
  return `Give ${key} a single value.`;
}

function describe(v: unknown): string {
  if (v === null || v === undefined) return 'empty';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string "${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  return `the ${typeof v} ${String(v)}`;
}

function readAws(item: unknown, i: number, at: (...r: (string | number)[]) => YamlPath, lineAt: (...r: (string | number)[]) => number | undefined, params: Record<string, unknown>, out: ProviderObjects): void {
  const what = `object ${i + 1}`;
  const obj = checkFields(item, AWS_FIELDS, at, lineAt, what, out.findings);
  if (!obj || typeof obj.objectName !== 'string') return;
  const name = obj.objectName;
  const isArn = name.startsWith('arn:');
  if (obj.objectType === undefined && !isArn) {
    out.findings.push(objectsError(at(), lineAt(), `${what} (${name}) has no objectType, which the AWS provider needs unless objectName is a full ARN.`, 'Add objectType: "secretsmanager" (or "ssmparameter").'));
  }
  if (isArn) {
    const parts = name.split(':');
    const region = typeof params.region === 'string' ? params.region : undefined;
    if (parts.length < 6 || !['secretsmanager', 'ssm'].includes(parts[2] ?? '')) {
      out.findings.push(objectsError(at('objectName'), lineAt('objectName'), `${what}: objectName is not a Secrets Manager or SSM ARN.`, 'Use arn:aws:secretsmanager:<region>:<account>:secret:<name>, or a plain name with objectType.'));
    } else if (region && parts[3] !== region) {
      out.findings.push(objectsError(at('objectName'), lineAt('objectName'), `${what}: the ARN's region ${parts[3]} is not the region parameter ${region}; the AWS provider refuses the mount.`, 'Use an ARN of the region parameter, or change the region.'));
    }
  }
  if ((obj.objectType === 'ssmparameter' || name.startsWith('arn:aws:ssm:')) && obj.objectVersion !== undefined && obj.objectVersionLabel !== undefined) {
    out.findings.push(objectsError(at(), lineAt(), `${what}: an SSM parameter cannot have both objectVersion and objectVersionLabel.`, 'Keep one of them.'));
  }
  if (obj.failoverObject !== undefined) {
    checkFields(obj.failoverObject, AWS_FAILOVER_FIELDS, (...r) => at('failoverObject', ...r), (...r) => lineAt('failoverObject', ...r), `${what} failoverObject`, out.findings);
    if (obj.objectAlias === undefined) out.findings.push(objectsError(at('failoverObject'), lineAt('failoverObject'), `${what}: an object with failoverObject needs an objectAlias.`, 'Add objectAlias.'));
    if (params.failoverRegion === undefined) out.findings.push(objectsError(at('failoverObject'), lineAt('failoverObject'), `${what}: failoverObject needs the failoverRegion parameter.`, 'Add parameters.failoverRegion, or remove failoverObject.'));
  }
  const translate = pathTranslationOf(params.pathTranslation);
  const fileName = awsFileName(typeof obj.objectAlias === 'string' ? obj.objectAlias : name, translate);
  if (/(\/\.\.\/)|(^\.\.\/)|(\/\.\.$)/.test(fileName)) {
    out.findings.push(objectsError(at(obj.objectAlias !== undefined ? 'objectAlias' : 'objectName'), lineAt(obj.objectAlias !== undefined ? 'objectAlias' : 'objectName'), `${what}: the file name ${fileName} contains "..".`, 'Use an objectAlias without path segments.'));
  }
  const jmes = Array.isArray(obj.jmesPath) ? obj.jmesPath : [];
  out.files.push({ name: fileName, path: at(obj.objectAlias !== undefined ? 'objectAlias' : 'objectName'), ...lineField(lineAt(obj.objectAlias !== undefined ? 'objectAlias' : 'objectName')), objectIndex: i, object: obj, ...(jmes.length > 0 ? { isWholeJson: true } : {}) });
  jmes.forEach((entry, j) => {
    const e = checkFields(entry, AWS_JMES_FIELDS, (...r) => at('jmesPath', j, ...r), (...r) => lineAt('jmesPath', j, ...r), `${what} jmesPath ${j + 1}`, out.findings);
    if (e && typeof e.objectAlias === 'string') out.files.push({ name: awsFileName(e.objectAlias, translate), path: at('jmesPath', j, 'objectAlias'), ...lineField(lineAt('jmesPath', j, 'objectAlias')), objectIndex: i, object: obj });
  });
}

/** The AWS provider's path translation: "_" by default, none for "False", else the given character. */
function pathTranslationOf(value: unknown): string {
  if (typeof value !== 'string' || value === '') return '_';
  return value.toLowerCase() === 'false' ? '' : value;
}

function awsFileName(name: string, translate: string): string {
  return translate ? name.split('/').join(translate) : name.replace(/^\/+/, '');
}

function readVault(item: unknown, i: number, at: (...r: (string | number)[]) => YamlPath, lineAt: (...r: (string | number)[]) => number | undefined, out: ProviderObjects): void {
  const what = `object ${i + 1}`;
  const obj = checkFields(item, VAULT_FIELDS, at, lineAt, what, out.findings);
  if (!obj) return;
  if (typeof obj.filePermission === 'number' && (obj.filePermission < 0 || obj.filePermission > 0o7777)) {
    out.findings.push(objectsError(at('filePermission'), lineAt('filePermission'), `${what}: filePermission ${obj.filePermission} is not a file mode.`, 'Write an octal mode such as 0600 (unquoted).'));
  }
  if (typeof obj.secretPath === 'string' && /^\/|\/$|\/\//.test(obj.secretPath)) {
    out.findings.push(objectsError(at('secretPath'), lineAt('secretPath'), `${what}: secretPath "${obj.secretPath}" has an empty segment or a leading/trailing slash.`, 'Write the full API path without slashes at the ends, e.g. secret/data/app/DB_PASSWORD.'));
  }
  if (typeof obj.objectName === 'string') out.files.push({ name: obj.objectName, path: at('objectName'), ...lineField(lineAt('objectName')), objectIndex: i, object: obj });
}

function readAzure(root: Nested, base: YamlPath, out: ProviderObjects): void {
  const value = root.source.value;
  if (!value || typeof value !== 'object' || Array.isArray(value) || !Array.isArray((value as { array?: unknown }).array)) {
    out.findings.push(objectsError(base, root.source.lineOf([]), 'objects of provider azure must be a mapping with one key, "array", holding a list of YAML strings.', 'Write objects: |\n  array:\n    - |\n      objectName: ...\n      objectType: secret'));
    return;
  }
  for (const key of Object.keys(value)) {
    if (key !== 'array') out.findings.push(objectsError([...base, key], root.source.lineOf([key]), `objects of provider azure has an unknown key "${key}".`, 'Keep only "array".'));
  }
  const list = (value as { array: unknown[] }).array;
  if (list.length === 0) out.findings.push(objectsError([...base, 'array'], root.source.lineOf(['array']), 'objects.array of provider azure is empty.', 'Add one "- |" item per secret.'));
  list.forEach((item, i) => {
    const itemPath: YamlPath = [...base, 'array', i];
    const what = `object ${i + 1}`;
    if (typeof item !== 'string') {
      out.findings.push(objectsError(itemPath, root.source.lineOf(['array', i]), `${what} of objects.array must be a YAML string (the Azure provider reads a list of strings), not ${describe(item)}.`, 'Start the item with "- |" and indent the object\'s fields below it.'));
      return;
    }
    const nested = parseNested(item, root.source.textLineOf(['array', i]) ?? root.source.lineOf(['array', i]), itemPath, out.findings, `${what} of objects.array`);
    if (!nested) return;
    const at = (...rest: (string | number)[]): YamlPath => [...itemPath, ...rest];
    const lineAt = (...rest: (string | number)[]) => nested.source.lineOf(rest);
    const obj = checkFields(nested.source.value, AZURE_FIELDS, at, lineAt, what, out.findings);
    if (!obj || typeof obj.objectName !== 'string') return;
    const history = typeof obj.objectVersionHistory === 'number' ? obj.objectVersionHistory : 0;
    if (history < 0) out.findings.push(objectsError(at('objectVersionHistory'), lineAt('objectVersionHistory'), `${what}: objectVersionHistory must not be negative.`, 'Use 0 or 1 for one file, more for a directory of versions.'));
    const aliasKey = obj.objectAlias !== undefined ? 'objectAlias' : 'objectName';
    const name = typeof obj.objectAlias === 'string' ? obj.objectAlias : obj.objectName;
    out.files.push({ name, path: at(aliasKey), ...lineField(lineAt(aliasKey)), objectIndex: i, object: obj, ...(history > 1 ? { isDirectory: true } : {}) });
  });
}

function readGcp(item: unknown, i: number, at: (...r: (string | number)[]) => YamlPath, lineAt: (...r: (string | number)[]) => number | undefined, out: ProviderObjects): void {
  const what = `secret ${i + 1}`;
  const obj = checkFields(item, GCP_FIELDS, at, lineAt, what, out.findings);
  if (!obj) return;
  const key = obj.path !== undefined ? 'path' : 'fileName';
  const name = obj[key];
  if (typeof name !== 'string') {
    out.findings.push(objectsError(at(), lineAt(), `${what} has neither path nor fileName.`, 'Add path: <file name>.'));
    return;
  }
  out.files.push({ name, path: at(key), ...lineField(lineAt(key)), objectIndex: i, object: obj });
}

function checkDuplicates(provider: string, out: ProviderObjects): void {
  // The AWS provider also refuses an objectName listed twice, even under different aliases.
  if (provider === 'aws') {
    const names = new Map<string, number>();
    for (const f of out.files) {
      if (f.path.includes('jmesPath')) continue;
      const name = String(f.object.objectName);
      const first = names.get(name);
      if (first !== undefined && first !== f.objectIndex) {
        out.findings.push({ severity: 'error', rule: 'spc-duplicate-alias', path: f.path, ...lineField(f.line), message: `objectName ${name} is listed twice (objects ${first + 1} and ${f.objectIndex + 1}); the AWS provider refuses the mount.`, fix: 'List each secret once; use jmesPath to split one secret into several files.' });
      } else names.set(name, f.objectIndex);
    }
  }
  const seen = new Map<string, ProviderFile>();
  for (const f of out.files) {
    const first = seen.get(f.name);
    if (first) {
      out.findings.push({ severity: 'error', rule: 'spc-duplicate-alias', path: f.path, ...lineField(f.line), message: `two objects write the file ${f.name} (objects ${first.objectIndex + 1} and ${f.objectIndex + 1}); one overwrites the other.`, fix: 'Give each object its own objectAlias.' });
    } else seen.set(f.name, f);
  }
}

function lineField(line: number | undefined): { line?: number } {
  return line !== undefined ? { line } : {};
}
