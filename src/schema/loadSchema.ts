import * as path from 'node:path';
import { SchemaLoadError } from '../errors/SchemaLoadError';
import type { SecretsSchema } from './SecretsSchema';

/** Names a secret may have: they are file names in a mount and object names in providers. */
export const SECRET_NAME_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/**
 * Load the schema module named by SECRETS_SCHEMA: its `module.exports` or default export must be a convict schema
 * object whose top-level properties are secrets (each with a `default`, nested groups are not secrets).
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
    throw new SchemaLoadError(`SECRETS_SCHEMA: cannot load ${resolved} (${code ?? (error as Error).name}). Point it at a CommonJS module or JSON file exporting a convict schema.`);
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
    if (!prop || typeof prop !== 'object' || !('default' in prop)) {
      throw new SchemaLoadError(`${where}: property ${name} needs a "default" (use default: null for a required secret); nested groups are not supported.`);
    }
  }
  return schema as SecretsSchema;
}
