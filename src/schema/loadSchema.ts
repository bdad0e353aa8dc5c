import * as path from 'node:path';
import { checkGroup, isGroup } from '../config/SettingsModel';
import { SchemaLoadError } from '../errors/SchemaLoadError';
import type { SecretsSchema } from './SecretsSchema';

/** Names a secret may have: they are file names in a mount and object names in providers. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Load the schema module named by SECRETS_SCHEMA: its `module.exports` or default export must be a convict schema
 * object: top-level properties are secrets or settings (each with a `default`); nested groups hold settings.
 *
 * @example
 * ```js
 * // schema.js
 * module.exports = { DB_PASSWORD: { format: String, default: null, sensitive: true } };
 * ```
 */
export function loadSchema(file: string, cwd = process.cwd()): SecretsSchema {
  const resolved = path.resolve(cwd, file);
  let mod: unknown;
  try {
    mod = require(resolved);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint = /\.[cm]?ts$/.test(resolved)
      ? ' A TypeScript schema loads only where Node strips types (Node >= 22.18 or 23.6) or under a loader (node --import tsx); otherwise compile it to .js.'
      : '';
    throw new SchemaLoadError(`SECRETS_SCHEMA: cannot load ${resolved} (${code ?? (error as Error).name}). Point it at a CommonJS module or JSON file exporting a convict schema.${hint}`);
  }
  const schema = (mod && typeof mod === 'object' && 'default' in mod && typeof (mod as { default: unknown }).default === 'object' ? (mod as { default: unknown }).default : mod) as unknown;
  return checkSchema(schema, resolved);
}

/** Check that an object is a usable schema; returns it typed. */
export function checkSchema(schema: unknown, where = 'schema'): SecretsSchema {
  if (!schema || typeof schema !== 'object' || Array.isArray(schema)) throw new SchemaLoadError(`${where}: must export a convict schema object.`);
  const names = Object.keys(schema);
  if (names.length === 0) throw new SchemaLoadError(`${where}: the schema declares no secrets.`);
  for (const name of names) {
    if (!SECRET_NAME_PATTERN.test(name)) {
      throw new SchemaLoadError(`${where}: secret name "${name.slice(0, 64)}" is not allowed: use 1-128 of A-Z a-z 0-9 _ . - and do not start with . or -.`);
    }
    const prop = (schema as Record<string, unknown>)[name];
    if (isGroup(prop) && !name.includes('.')) {
      checkGroup(name, prop, where);
      continue;
    }
    if (!prop || typeof prop !== 'object' || !('default' in prop)) {
      throw new SchemaLoadError(`${where}: property ${name} needs a "default" (use default: null for a required secret); nested groups hold settings only.`);
    }
  }
  return schema as SecretsSchema;
}
