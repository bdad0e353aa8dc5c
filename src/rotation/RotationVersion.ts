/**
 * One version of a secret as rotation sees it, never a value.
 *
 * `state`: `current` (served), `previous` (the one before it, readable during its grace period), `pending` (staged
 * by a rotation, not served), `retired` (everything else: superseded, grace ended, discarded, deleted).
 *
 * @example
 * ```ts
 * const versions = await rotator.listVersions('tenants/acme/API_KEY');
 * versions.find((v) => v.state === 'previous')?.version;
 * ```
 */
export interface RotationVersion {
  version: string;
  state: 'current' | 'previous' | 'pending' | 'retired';
  /** When the version was written (AWS: from our version id when we wrote it; Vault, Azure: the backend's time). */
  createdAt?: Date;
  /** Whether `readVersion` can read it (a soft-deleted Vault version or a disabled Azure version cannot). */
  isReadable: boolean;
  /** The backend's own labels: AWS stages, Vault flags (`vc_pending`, `deleted`), Azure `vc-state` / `disabled`. */
  stages: string[];
}
