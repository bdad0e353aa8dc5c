import { ConflictError } from '../errors/ConflictError';
import { isSecretsError } from '../errors/SecretsError';
import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../errors/SecretNotFoundError';
import type { FetchedSecret } from '../providers/Provider';
import type { KvMetadata } from '../providers/vault/parseKvMetadata';
import { CURRENT_PIN_KEY } from '../providers/vault/readCurrentPin';
import type { VaultKvClient } from '../providers/vault/VaultKvClient';
import type { RotationBackend, RotationIo, StagedVersion } from './RotationBackend';
import { readPolicyText } from './readPolicyText';
import type { RotationState } from './RotationState';
import type { RotationVersion } from './RotationVersion';
import { sameBytes } from './sameBytes';

/** custom_metadata keys of rotation (besides the provider's pin `vc_current_version`). */
export const VAULT_ROTATION_KEYS = {
  /** The version the last promotion (or rollback) made current. */
  promoted: 'vc_promoted',
  /** When that happened, ms since the epoch: the start of the previous version's grace period. */
  promotedAt: 'vc_promoted_at',
  /** The version that was current before it: the previous version. */
  previous: 'vc_previous_version',
  /** The stored rotation policy. */
  policy: 'vc_rotation',
} as const;
const K = VAULT_ROTATION_KEYS;

interface VaultNative {
  latest: number;
  pin?: number;
  custom: Record<string, string>;
  /** A promotion that a late first pin overwrote (see stage); the pin is set back to it by the next write. */
  repairTo?: number;
}

/**
 * Rotation on Vault / OpenBao KV v2 (see docs/decisions/0002-rotation-mapping.md). KV v2 has no stages, so the
 * provider's pin (`vc_current_version` in custom_metadata) says which version is current; versions above it are
 * pending:
 * - state: one `GET metadata`; the policy is custom_metadata `vc_rotation`;
 * - stage: pin the current version (only the first time: a rotated secret stays pinned), then write with
 *   `cas = latest`, so of two concurrent rotations exactly one creates the next version (KV's check-and-set); a
 *   retried write whose first answer was lost is recognised by comparing digests of the stored and generated values;
 * - promote: one `PATCH metadata` moving the pin and recording previous version and time;
 * - undo: pin back (if it moved), destroy the staged version; retire: soft-delete the previous version;
 * - restoreLatest (after a failure): the destroyed staged version is KV's latest, which plain KV readers read, so
 *   the current value is written again with `cas = latest` as the newest version, the pin moved onto it (with
 *   the previous version and promotion time kept) and the version it copies soft-deleted.
 *
 * @example
 * ```ts
 * const backend = new VaultRotationBackend(vaultClient);
 * ```
 */
export class VaultRotationBackend implements RotationBackend {
  readonly scheme: string;
  readonly #client: VaultKvClient;

  constructor(client: VaultKvClient) {
    this.#client = client;
    this.scheme = client.scheme;
  }

  async inspect(path: string): Promise<RotationState> {
    return describe(path, this.scheme, await this.#client.readMetadata(path));
  }

  async listVersions(path: string): Promise<RotationVersion[]> {
    return (await this.inspect(path)).versions;
  }

  read(path: string, version: string, signal?: AbortSignal): Promise<FetchedSecret> {
    return this.#client.get(path, { version, ...(signal ? { signal } : {}) });
  }

  async stage(path: string, value: Uint8Array, state: RotationState, io: RotationIo): Promise<StagedVersion> {
    const n = native(state);
    const current = Number(currentOf(state, path));
    // The pin must hold before the new version exists, or readers would take the new version for current.
    if (n.pin !== current) {
      await io.beforeWrite();
      await this.#client.patchMetadata(path, { [CURRENT_PIN_KEY]: String(current) });
    }
    const next = String(n.latest + 1);
    await io.beforeWrite();
    try {
      await this.#client.writeVersion(path, value, n.latest);
    } catch (error) {
      if (!isSecretsError(error) || (error.code !== ConflictError.code && error.code !== ProviderUnavailableError.code)) throw error;
      // A retried write reports a conflict when its first attempt was applied and the answer lost: is it ours?
      const mine = await this.#holds(path, next, value);
      if (mine && error.code === ConflictError.code) return { version: next, stagedAt: new Date(io.now()), attempt: next };
      if (mine) await this.#destroy(path, next, io).catch(() => undefined);
      if (error.code === ConflictError.code) await this.#healPin(path, io).catch(() => undefined);
      throw error;
    }
    return { version: next, stagedAt: new Date(io.now()), attempt: next };
  }

  async confirm(): Promise<void> {
    // KV's check-and-set on the write is the guarantee.
  }

  adopt(pending: RotationVersion): StagedVersion {
    return { version: pending.version, stagedAt: pending.createdAt ?? new Date(0), attempt: pending.version };
  }

  async promote(path: string, staged: StagedVersion, state: RotationState, io: RotationIo): Promise<void> {
    await io.beforeWrite();
    await this.#client.patchMetadata(path, {
      [CURRENT_PIN_KEY]: staged.version,
      [K.promoted]: staged.version,
      [K.promotedAt]: String(Math.floor(io.now())),
      [K.previous]: currentOf(state, path),
    });
  }

  async undo(path: string, staged: StagedVersion, before: RotationState, io: RotationIo): Promise<void> {
    const meta = await this.#client.readMetadata(path);
    if (meta === undefined) return;
    if (meta.currentPin === Number(staged.version)) {
      const b = native(before).custom;
      await io.beforeWrite();
      await this.#client.patchMetadata(path, {
        [CURRENT_PIN_KEY]: currentOf(before, path),
        [K.promoted]: b[K.promoted] ?? null,
        [K.promotedAt]: b[K.promotedAt] ?? null,
        [K.previous]: b[K.previous] ?? null,
      });
    }
    const v = meta.versions.get(Number(staged.version));
    if (v && !v.destroyed) await this.#destroy(path, staged.version, io);
  }

  async discardStale(path: string, pending: RotationVersion, _state: RotationState, io: RotationIo): Promise<void> {
    await this.#destroy(path, pending.version, io);
  }

  async retireAfterPromote(path: string, before: RotationState, isPreviousToo: boolean, io: RotationIo): Promise<string[]> {
    const versions = [...(before.previous?.isReadable ? [before.previous.version] : []), ...(isPreviousToo ? [currentOf(before, path)] : [])];
    if (versions.length === 0) return [];
    await io.beforeWrite();
    await this.#client.delete(path, { versions });
    return versions;
  }

  async retire(path: string, state: RotationState, io: RotationIo): Promise<void> {
    if (!state.previous) return;
    await io.beforeWrite();
    await this.#client.delete(path, { versions: [state.previous.version] });
  }

  async writePolicy(path: string, text: string | undefined, _state: RotationState | undefined, io: RotationIo): Promise<void> {
    await io.beforeWrite();
    await this.#client.patchMetadata(path, { [K.policy]: text ?? null });
  }

  async restoreLatest(path: string, io: RotationIo): Promise<string | undefined> {
    const meta = await this.#client.readMetadata(path);
    if (meta === undefined) return undefined;
    const state = describe(path, this.scheme, meta);
    const latest = meta.latestVersion;
    if (!state.current || Number(state.current.version) === latest) return undefined;
    const top = meta.versions.get(latest);
    // A live version above the current one is a rotation in progress: it promotes it or restores after itself.
    if (top && !top.deleted && !top.destroyed) return undefined;
    // 1. The current value again, as the newest version; a check-and-set conflict means someone else wrote.
    const fetched = await this.#client.get(path, { version: state.current.version });
    try {
      await io.beforeWrite();
      await this.#client.writeVersion(path, fetched.value, latest);
    } catch (error) {
      if (isSecretsError(error) && error.code === ConflictError.code) return undefined;
      throw error;
    } finally {
      fetched.value.fill(0);
    }
    // 2. Make the copy current, keeping what was previous and when the copied value became current (grace).
    const copy = String(latest + 1);
    await io.beforeWrite();
    await this.#client.patchMetadata(path, {
      [CURRENT_PIN_KEY]: copy,
      [K.promoted]: copy,
      [K.promotedAt]: state.currentSince ? String(state.currentSince.getTime()) : null,
      [K.previous]: state.previous?.version ?? null,
    });
    // 3. The copied version holds the same value: retire it so it does not outlive the copy's retirement.
    await io.beforeWrite();
    await this.#client.delete(path, { versions: [state.current.version] });
    return copy;
  }

  /** Whether version `version` exists and holds exactly `value` (digests compared, never the values). */
  async #holds(path: string, version: string, value: Uint8Array): Promise<boolean> {
    let fetched: FetchedSecret;
    try {
      fetched = await this.#client.get(path, { version });
    } catch {
      return false;
    }
    try {
      return sameBytes(fetched.value, value);
    } finally {
      fetched.value.fill(0);
    }
  }

  async #destroy(path: string, version: string, io: RotationIo): Promise<void> {
    await io.beforeWrite();
    await this.#client.delete(path, { versions: [version], permanent: true });
  }

  /**
   * The one race of the first pin: a rotation that read "no pin" and pins the then-current version after another
   * rotation already promoted would make the old version current again. The promotion's record (`vc_promoted`
   * above the pin) shows it; set the pin back.
   */
  async #healPin(path: string, io: RotationIo): Promise<void> {
    const state = await this.inspect(path);
    const repairTo = native(state).repairTo;
    if (repairTo === undefined) return;
    await io.beforeWrite();
    await this.#client.patchMetadata(path, { [CURRENT_PIN_KEY]: String(repairTo) });
  }
}

function describe(path: string, scheme: string, meta: KvMetadata | undefined): RotationState {
  if (meta === undefined) return { path, scheme, pending: [], versions: [], native: { latest: 0, custom: {} } satisfies VaultNative };
  const custom = meta.customMetadata;
  const live = (n: number) => {
    const v = meta.versions.get(n);
    return v !== undefined && !v.deleted && !v.destroyed;
  };
  const promoted = toInt(custom[K.promoted]);
  const pin = meta.currentPin;
  const repairTo = pin !== undefined && promoted !== undefined && promoted > pin && live(promoted) ? promoted : undefined;
  const current = repairTo ?? (pin ?? meta.latestVersion);
  const hasCurrent = current > 0 && live(current);
  let previous: number | undefined;
  if (hasCurrent) {
    if (promoted === current) {
      const marked = toInt(custom[K.previous]);
      previous = marked !== undefined && marked < current && live(marked) ? marked : undefined;
    } else {
      previous = [...meta.versions.keys()].filter((n) => n < current && live(n)).sort((a, b) => b - a)[0];
    }
  }
  const versions = [...meta.versions.keys()]
    .sort((a, b) => b - a)
    .map((n): RotationVersion => {
      const v = meta.versions.get(n)!;
      let state: RotationVersion['state'] = 'retired';
      if (hasCurrent && n === current) state = 'current';
      else if (n === previous) state = 'previous';
      else if (n > current && live(n)) state = 'pending';
      const stages = [...(state === 'pending' ? ['vc_pending'] : []), ...(v.deleted ? ['deleted'] : []), ...(v.destroyed ? ['destroyed'] : [])];
      return { version: String(n), state, ...(v.createdAt ? { createdAt: v.createdAt } : {}), isReadable: live(n), stages };
    });
  const state: RotationState = {
    path,
    scheme,
    pending: versions.filter((v) => v.state === 'pending'),
    versions,
    ...readPolicyText(custom[K.policy]),
    native: { latest: meta.latestVersion, ...(pin !== undefined ? { pin } : {}), custom, ...(repairTo !== undefined ? { repairTo } : {}) } satisfies VaultNative,
  };
  const cur = versions.find((v) => v.state === 'current');
  if (cur) state.current = cur;
  const prev = versions.find((v) => v.state === 'previous');
  if (prev) state.previous = prev;
  const promotedAt = toInt(custom[K.promotedAt]);
  const since = promoted === current && promotedAt !== undefined ? new Date(promotedAt) : cur?.createdAt;
  if (since && cur) state.currentSince = since;
  return state;
}

function native(state: RotationState): VaultNative {
  return state.native as VaultNative;
}

function toInt(text: string | undefined): number | undefined {
  return text !== undefined && /^\d{1,15}$/.test(text) ? Number(text) : undefined;
}

function currentOf(state: RotationState, path: string): string {
  if (!state.current) throw new SecretNotFoundError(`Secret "${path}" has no current version in Vault; write a value first.`);
  return state.current.version;
}
