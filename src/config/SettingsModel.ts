import { SchemaLoadError } from '../errors/SchemaLoadError';
import type { ValidationProblem } from '../errors/ValidationError';
import { redactValues, toOneLine } from '../schema/redactValues';
import { isSecretProperty as isSecretSchemaProperty } from '../schema/SchemaValidator';
import type { SecretProperty, SecretsSchema } from '../schema/SecretsSchema';

type Convict = typeof import('convict');

/** Whether a schema property is a secret (`sensitive: true` or a `secret*` format); anything but an object is not. */
export function isSecretProperty(prop: unknown): boolean {
  return typeof prop === 'object' && prop !== null && isSecretSchemaProperty(prop);
}

/** Whether a schema node is a nested group (an object of properties, without `default`), as convict reads it. */
export function isGroup(node: unknown): node is Record<string, unknown> {
  return typeof node === 'object' && node !== null && !Array.isArray(node) && Object.keys(node).length > 0 && !('default' in node);
}

const KEY_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

/**
 * Check a nested group of settings: every leaf has a `default` and none is a secret (a secret is one file or
 * object named after it, so secrets are top-level properties only).
 */
export function checkGroup(path: string, node: Record<string, unknown>, where: string): void {
  for (const [key, child] of Object.entries(node)) {
    const full = `${path}.${key}`;
    if (!KEY_PATTERN.test(key) || full.length > 128) throw new SchemaLoadError(`${where}: setting "${full.slice(0, 64)}" is not allowed: group keys are 1-64 of A-Z a-z 0-9 _ - and a path is at most 128 characters.`);
    if (isGroup(child)) {
      checkGroup(full, child, where);
      continue;
    }
    if (!child || typeof child !== 'object' || !('default' in child)) throw new SchemaLoadError(`${where}: property ${full} needs a "default" (use default: null for a required setting).`);
    if (isSecretProperty(child)) throw new SchemaLoadError(`${where}: ${full} is a secret inside a group; declare secrets as top-level properties (a secret is one file or object named after it).`);
  }
}

/** The schema split for validation: top-level properties (for the SchemaValidator) and the settings model. */
export interface SchemaParts {
  /** Top-level secrets. */
  secrets: SecretsSchema;
  /**
   * Every top-level property that is not a group (secrets and flat settings), for the SchemaValidator: a value a
   * source gives is validated there, with its byte formats, strict numbers and redaction.
   */
  flat: SecretsSchema;
  /** Every setting (flat or nested); empty when the schema has none. */
  settings: SettingsModel;
}

/**
 * Split a schema into its secrets and its settings. `env` is read once, here: settings may come from the
 * variables their `env` key names (in every mode); secrets never do.
 */
export function splitSchema(schema: Record<string, unknown>, env: NodeJS.ProcessEnv = process.env): SchemaParts {
  const secrets: SecretsSchema = {};
  const flat: SecretsSchema = {};
  for (const [name, prop] of Object.entries(schema)) {
    if (isGroup(prop)) continue;
    flat[name] = prop as SecretProperty;
    if (isSecretProperty(prop)) secrets[name] = prop as SecretProperty;
  }
  return { secrets, flat, settings: new SettingsModel(schema, env) };
}

/**
 * The settings of a schema: every property that is not a secret, at any depth. Values come, in this order, from
 * the sources (a file or object named by the dotted path), the environment variable of the property's `env`
 * key, and the `default`. Convict coerces and validates them; `resolve` turns a candidate into one plain,
 * frozen object that is swapped together with the secrets.
 *
 * @example
 * ```ts
 * const model = new SettingsModel({ SMTP_PORT: { format: 'port', default: 587 } }, process.env);
 * model.resolve(new Map()).settings; // { SMTP_PORT: 587 }
 * ```
 */
export class SettingsModel {
  /** Dotted paths of every setting leaf, in schema order. */
  readonly paths: readonly string[];
  /** Top-level names of secrets (for `config.get`'s refusal). */
  readonly secretNames: ReadonlySet<string>;
  /** Environment variables that gave a setting its value (names only). */
  readonly envKeys: readonly string[];
  readonly #groups = new Set<string>();
  readonly #def: Record<string, unknown>;
  readonly #env: Record<string, string>;
  readonly #envOf = new Map<string, string>();
  /** Values set directly by dotted path, over every source (test helpers only). */
  #overrides: Readonly<Record<string, unknown>> = {};

  constructor(schema: Record<string, unknown>, env: NodeJS.ProcessEnv) {
    const paths: string[] = [];
    const secretNames = new Set<string>();
    const captured: Record<string, string> = {};
    const walk = (node: Record<string, unknown>, prefix: string, into: Record<string, unknown>) => {
      for (const [key, child] of Object.entries(node)) {
        const path = prefix + key;
        if (isGroup(child)) {
          this.#groups.add(path);
          const group: Record<string, unknown> = {};
          into[key] = group;
          walk(child, `${path}.`, group);
          continue;
        }
        if (isSecretProperty(child)) {
          secretNames.add(path);
          continue;
        }
        const prop: Record<string, unknown> = { ...(child as Record<string, unknown>), sensitive: true };
        delete prop.arg;
        const envKey = typeof prop.env === 'string' ? prop.env : undefined;
        if (envKey !== undefined) {
          this.#envOf.set(path, envKey);
          const v = env[envKey];
          if (v !== undefined) captured[envKey] = v;
        }
        into[key] = prop;
        paths.push(path);
      }
    };
    this.#def = {};
    walk(schema, '', this.#def);
    this.paths = paths;
    this.secretNames = secretNames;
    this.#env = captured;
    this.envKeys = Object.keys(captured);
  }

  /** What a dotted path names in the schema. */
  kind(path: string): 'setting' | 'group' | 'secret' | undefined {
    if (this.secretNames.has(path)) return 'secret';
    if (this.#groups.has(path)) return 'group';
    return this.paths.includes(path) ? 'setting' : undefined;
  }

  /** Paths whose value differs between two resolved settings objects. */
  changedPaths(before: Readonly<Record<string, unknown>>, after: Readonly<Record<string, unknown>>): string[] {
    return this.paths.filter((p) => JSON.stringify(valueAt(before, p)) !== JSON.stringify(valueAt(after, p)));
  }

  /** Settings that no source gave (not in `texts`) but whose `env` variable is set: their value is the variable's. */
  servedByEnv(texts: ReadonlyMap<string, Uint8Array>): Set<string> {
    const served = new Set<string>();
    for (const [path, key] of this.#envOf) if (!texts.has(path) && this.#env[key] !== undefined) served.add(path);
    return served;
  }

  /** Set values by dotted path over every source and the environment (for `installSecrets` in tests). */
  setOverrides(overrides: Readonly<Record<string, unknown>>): void {
    for (const path of Object.keys(overrides)) {
      if (this.kind(path) !== 'setting') throw new SchemaLoadError(`${path.slice(0, 128)} is not a setting of the schema (secrets go in values; nested settings use dotted paths).`);
    }
    this.#overrides = { ...overrides };
    this.overridesGeneration++;
  }

  /** Changes with every `setOverrides`: settings may differ even when every source gave the same bytes. */
  overridesGeneration = 0;

  /** Convict instance for one resolution (settings from the captured environment, never argv). */
  #load(): ReturnType<Convict> {
    const convict = require('convict') as Convict;
    return convict(this.#def as never, { env: this.#env, args: [] });
  }

  /**
   * Coerce and validate the settings of a candidate: `texts` are the values the sources gave (by dotted path).
   * Returns one frozen object of every setting, or the problems (one per setting, never a value).
   */
  resolve(texts: ReadonlyMap<string, Uint8Array>): { settings: Readonly<Record<string, unknown>>; problems: ValidationProblem[] } {
    const problems: ValidationProblem[] = [];
    if (this.paths.length === 0) return { settings: Object.freeze({}), problems };
    const clear: string[] = [];
    let config: ReturnType<Convict>;
    try {
      config = this.#load();
    } catch (error) {
      return { settings: Object.freeze({}), problems: [{ name: '(schema)', reason: toOneLine(redactValues(String((error as Error)?.message), Object.values(this.#env))) }] };
    }
    clear.push(...Object.values(this.#env));
    for (const path of this.paths) {
      const view = texts.get(path);
      if (!view) continue;
      const text = Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('utf8');
      clear.push(text);
      try {
        config.set(path as never, text as never);
      } catch (error) {
        // JSON.parse (format Object) quotes the start of its input in its message.
        problems.push({ name: path, reason: error instanceof SyntaxError ? 'is not valid JSON' : toOneLine(redactValues(String((error as Error)?.message), clear)) });
      }
    }
    for (const [path, value] of Object.entries(this.#overrides)) config.set(path as never, value as never);
    const failed = new Set(problems.map((p) => p.name));
    try {
      config.validate({ allowed: 'strict', output: () => undefined });
    } catch (error) {
      // Values are redacted from the whole message before it is split (a value with line breaks must not spread
      // over lines that no longer contain it whole); a line that does not start with a path continues the last.
      let current: ValidationProblem | undefined;
      const parsed: ValidationProblem[] = [];
      for (const line of redactValues(String((error as Error)?.message), clear).split('\n')) {
        const m = /^([^:\s]+): ([^]*)$/.exec(line);
        if (m && this.paths.includes(m[1]!)) parsed.push((current = { name: m[1]!, reason: m[2]! }));
        else if (current) current.reason += ` ${line}`;
        else if (line.trim()) parsed.push((current = { name: '(schema)', reason: line }));
      }
      for (const p of parsed) {
        if (failed.has(p.name)) continue;
        const envKey = this.#envOf.get(p.name);
        const isMissing = p.name !== '(schema)' && !texts.has(p.name) && (envKey === undefined || this.#env[envKey] === undefined) && config.get(p.name as never) === null;
        problems.push({ name: p.name, reason: isMissing ? `is required but no source has it${envKey ? ` and ${envKey} is not set` : ''}` : toOneLine(p.reason) || 'is invalid' });
      }
    }
    if (problems.length > 0) return { settings: Object.freeze({}), problems };
    const settings = config.getProperties() as Record<string, unknown>;
    return { settings: deepFreeze(settings), problems };
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Read a dotted path in a settings object. */
export function valueAt(settings: Readonly<Record<string, unknown>>, path: string): unknown {
  let node: unknown = settings;
  for (const key of path.split('.')) {
    if (!node || typeof node !== 'object' || !Object.prototype.hasOwnProperty.call(node, key)) return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}
