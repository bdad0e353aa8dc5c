import type { SecureArena } from '../../memory/SecureArena';
import type { RawValue } from '../../store/RawValue';

/** What {@link readEnv} found. */
export interface EnvRead {
  values: Map<string, RawValue>;
  /** Environment variable names that served a value (logged as a warning in development). */
  keys: string[];
}

/**
 * Development source: each schema name read from `process.env[prefix + name]`. Never used in production (the
 * preload refuses `env:` there before calling this). The values were JS strings already; they are copied into
 * locked memory so the rest of the library treats them like any other.
 */
export function readEnv(names: readonly string[], env: NodeJS.ProcessEnv, prefix: string, arena: SecureArena): EnvRead {
  const values = new Map<string, RawValue>();
  const keys: string[] = [];
  for (const name of names) {
    const key = prefix + name;
    const value = env[key];
    if (value === undefined) continue;
    const bytes = Buffer.from(value, 'utf8');
    values.set(name, { slice: arena.copyIn(bytes), source: 'env:' });
    bytes.fill(0);
    keys.push(key);
  }
  return { values, keys };
}
