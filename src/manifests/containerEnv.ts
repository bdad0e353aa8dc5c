import type { ManifestDocument } from './ManifestDocument';
import { isMap } from './podSpecs';

/** A variable whose value the manifests do not show (from a Secret, a field ref, a ConfigMap not in the set). */
export const UNKNOWN = Symbol('unknown');

/** The environment of a container as far as the manifests show it: literal values, and ConfigMaps in the set. */
export function containerEnv(container: Record<string, unknown>, docs: readonly ManifestDocument[]): Map<string, string | typeof UNKNOWN> {
  const env = new Map<string, string | typeof UNKNOWN>();
  const configMap = (name: unknown): Record<string, unknown> | undefined => {
    for (const d of docs) {
      const o = d.object as { kind?: unknown; metadata?: { name?: unknown }; data?: unknown } | undefined;
      if (d.role === 'resource' && o?.kind === 'ConfigMap' && o.metadata?.name === name && isMap(o.data)) return o.data;
    }
    return undefined;
  };
  if (Array.isArray(container.envFrom)) {
    for (const source of container.envFrom) {
      if (!isMap(source)) continue;
      const prefix = typeof source.prefix === 'string' ? source.prefix : '';
      const data = isMap(source.configMapRef) ? configMap(source.configMapRef.name) : undefined;
      if (data) for (const [k, v] of Object.entries(data)) env.set(prefix + k, typeof v === 'string' ? v : UNKNOWN);
      else env.set(`${UNKNOWN_SOURCE_PREFIX}${prefix}`, UNKNOWN);
    }
  }
  if (Array.isArray(container.env)) {
    for (const e of container.env) {
      if (!isMap(e) || typeof e.name !== 'string') continue;
      if (typeof e.value === 'string') env.set(e.name, e.value);
      else if (isMap(e.valueFrom) && isMap(e.valueFrom.configMapKeyRef)) {
        const ref = e.valueFrom.configMapKeyRef;
        const v = configMap(ref.name)?.[String(ref.key)];
        env.set(e.name, typeof v === 'string' ? v : UNKNOWN);
      } else env.set(e.name, e.valueFrom !== undefined ? UNKNOWN : '');
    }
  }
  return env;
}

/** Marks an envFrom source the manifests do not show: any variable may come from it. */
export const UNKNOWN_SOURCE_PREFIX = '\u0000envFrom:';

/** A variable's value, `UNKNOWN` when the manifests cannot tell, `undefined` when it is surely not set. */
export function envValue(env: Map<string, string | typeof UNKNOWN>, name: string): string | typeof UNKNOWN | undefined {
  const v = env.get(name);
  if (v !== undefined) return v;
  for (const key of env.keys()) if (key.startsWith(UNKNOWN_SOURCE_PREFIX) && name.startsWith(key.slice(UNKNOWN_SOURCE_PREFIX.length))) return UNKNOWN;
  return undefined;
}
