import type { ValidationProblem } from '../errors/ValidationError';
import type { SecureArena } from '../memory/SecureArena';
import { extractJsonField } from '../schema/extractJsonField';
import type { RawValue } from '../store/RawValue';

/** How a schema property maps to a provider object: `from` names the object, `jsonKey` picks a field of it. */
export interface SecretSplit {
  from?: string;
  jsonKey?: string;
}

/** The provider object name a secret is read from. */
export function objectNameOf(name: string, splits: ReadonlyMap<string, SecretSplit>): string {
  return splits.get(name)?.from ?? name;
}

/**
 * Turn fetched provider objects into the schema's secrets: a plain secret takes its object as is, a split one
 * gets its JSON field extracted into locked memory. Takes ownership of `fetched` (every slice is stored or freed).
 */
export function deriveValues(wanted: readonly string[], splits: ReadonlyMap<string, SecretSplit>, fetched: Map<string, RawValue>, objectProblems: readonly ValidationProblem[], arena: SecureArena): { values: Map<string, RawValue>; problems: ValidationProblem[] } {
  const values = new Map<string, RawValue>();
  const problems: ValidationProblem[] = [];
  const taken = new Set<string>();
  const problemOf = new Map(objectProblems.map((p) => [p.name, p.reason]));
  for (const name of wanted) {
    const split = splits.get(name);
    const object = split?.from ?? name;
    const reason = problemOf.get(object);
    if (reason !== undefined) {
      problems.push({ name, reason });
      continue;
    }
    const raw = fetched.get(object);
    if (!raw) continue;
    if (split?.jsonKey) {
      try {
        values.set(name, { slice: extractJsonField(raw.slice.view, split.jsonKey, arena), version: raw.version, source: raw.source, origin: object });
      } catch (error) {
        problems.push({ name, reason: `${object}: ${(error as Error).message}` });
      }
    } else if (object === name && !taken.has(object)) {
      taken.add(object);
      values.set(name, raw);
    } else {
      values.set(name, { slice: arena.copyIn(raw.slice.view), version: raw.version, source: raw.source, origin: object });
    }
  }
  for (const [object, raw] of fetched) if (!taken.has(object)) raw.slice.free();
  return { values, problems };
}

/** The splits a schema declares (`from` / `jsonKey` on a property). */
export function splitsOf(schema: Record<string, object>): Map<string, SecretSplit> {
  const splits = new Map<string, SecretSplit>();
  for (const [name, p] of Object.entries(schema)) {
    const prop = p as { from?: unknown; jsonKey?: unknown };
    const from = typeof prop.from === 'string' ? prop.from : undefined;
    const jsonKey = typeof prop.jsonKey === 'string' ? prop.jsonKey : undefined;
    if (from !== undefined || jsonKey !== undefined) splits.set(name, { ...(from !== undefined ? { from } : {}), ...(jsonKey !== undefined ? { jsonKey } : {}) });
  }
  return splits;
}
