import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { readCurrentPin } from './readCurrentPin';

/** One version as listed in KV v2 metadata (never a value). */
export interface KvVersionMetadata {
  createdAt?: Date;
  /** Soft-deleted: `deletion_time` is set and has passed (a future one, from delete_version_after, is not yet). */
  deleted: boolean;
  destroyed: boolean;
}

/** What we use of `GET <mount>/metadata/<path>`. */
export interface KvMetadata {
  /** KV's `current_version`: the latest version written (0 when only metadata exists). */
  latestVersion: number;
  /** The version pinned as current (custom_metadata `vc_current_version`), if any (0: none is current). */
  currentPin?: number;
  customMetadata: Record<string, string>;
  versions: Map<number, KvVersionMetadata>;
}

/**
 * Validate and read a KV v2 metadata response; a body of another shape is a {@link ProviderResponseError}.
 *
 * @example
 * ```ts
 * const meta = parseKvMetadata(reply.body, 'X');
 * meta.latestVersion; // 3
 * ```
 */
export function parseKvMetadata(body: unknown, name: string, now = Date.now()): KvMetadata {
  const data = (body as { data?: unknown } | null | undefined)?.data as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object' || typeof data.current_version !== 'number' || typeof data.versions !== 'object' || data.versions === null) {
    throw new ProviderResponseError(`Vault returned malformed metadata for "${name}" (no current_version / versions). Check that the mount is a KV version 2 engine.`);
  }
  const customMetadata = stringMap(data.custom_metadata);
  const versions = new Map<number, KvVersionMetadata>();
  for (const [key, raw] of Object.entries(data.versions as Record<string, unknown>)) {
    const n = Number(key);
    if (!Number.isSafeInteger(n) || n < 1 || !raw || typeof raw !== 'object') continue;
    const v = raw as { created_time?: unknown; deletion_time?: unknown; destroyed?: unknown };
    const deletionTime = typeof v.deletion_time === 'string' && v.deletion_time ? Date.parse(v.deletion_time) : NaN;
    versions.set(n, {
      ...(typeof v.created_time === 'string' && !Number.isNaN(Date.parse(v.created_time)) ? { createdAt: new Date(v.created_time) } : {}),
      deleted: !Number.isNaN(deletionTime) && deletionTime <= now,
      destroyed: v.destroyed === true,
    });
  }
  const pin = readCurrentPin(customMetadata);
  return { latestVersion: data.current_version, ...(pin !== undefined ? { currentPin: pin } : {}), customMetadata, versions };
}

function stringMap(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (value && typeof value === 'object') for (const [k, v] of Object.entries(value as Record<string, unknown>)) if (typeof v === 'string') out[k] = v;
  return out;
}
