import type { VersionInfo } from '../Provider';
import type { KvMetadata } from './parseKvMetadata';

/** Our reading of a KV v2 secret's versions; see {@link describeVersions}. */
export interface VaultVersionView {
  /** The current version: the pinned one, else the latest; undefined when none is (no versions, or pin 0). */
  current?: number;
  /** Whether the current version can be read (not soft-deleted, not destroyed, not pruned). */
  currentIsLive: boolean;
  /** Live versions above current, newest first: the first is the pending one. */
  pending: number[];
  /** Newest first. */
  infos: VersionInfo[];
}

/**
 * Our view of a KV v2 secret's versions (KV v2 has no stages; see docs/providers/vault.md):
 * - `current`: the version pinned by custom_metadata `vc_current_version`, else the latest. If it is deleted or
 *   destroyed the secret counts as deleted (as in Vault, where deleting the latest version hides the secret);
 * - `pending`: the newest live version above current (only while a pin is set); older live ones above current
 *   are `other` (superseded pending versions);
 * - `previous`: the newest live version below current; `retired`: older live versions;
 * - `deleted`: soft-deleted (deletion_time passed) or destroyed.
 * `stages` carries the flags behind the state: `vc_pending`, `deleted`, `destroyed`.
 *
 * @example
 * ```ts
 * const { current, infos } = describeVersions(parseKvMetadata(body, 'X'));
 * ```
 */
export function describeVersions(meta: KvMetadata): VaultVersionView {
  const numbers = [...meta.versions.keys()].sort((a, b) => b - a);
  const pinned = meta.currentPin ?? meta.latestVersion;
  const current = pinned > 0 ? pinned : undefined;
  const live = (n: number) => {
    const v = meta.versions.get(n);
    return v !== undefined && !v.deleted && !v.destroyed;
  };
  const floor = current ?? 0;
  const pending = numbers.filter((n) => n > floor && live(n));
  let previousSeen = false;
  const infos = numbers.map((n): VersionInfo => {
    const v = meta.versions.get(n)!;
    const stages: string[] = [];
    if (n === pending[0]) stages.push('vc_pending');
    if (v.deleted) stages.push('deleted');
    if (v.destroyed) stages.push('destroyed');
    let state: VersionInfo['state'];
    if (!live(n)) state = 'deleted';
    else if (n === current) state = 'current';
    else if (n > floor) state = n === pending[0] ? 'pending' : 'other';
    else {
      state = previousSeen ? 'retired' : 'previous';
      previousSeen = true;
    }
    return { version: String(n), ...(v.createdAt ? { createdAt: v.createdAt } : {}), stages, state };
  });
  return { ...(current !== undefined ? { current } : {}), currentIsLive: current !== undefined && live(current), pending, infos };
}
