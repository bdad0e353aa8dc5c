import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError } from '../errors/ConflictError';
import { isSecretsError } from '../errors/SecretsError';
import { SecretNotFoundError } from '../errors/SecretNotFoundError';
import type { AzureKeyVaultClient } from '../providers/azure/AzureKeyVaultClient';
import type { AzureVersionProperties } from '../providers/azure/AzureVersionProperties';
import type { FetchedSecret } from '../providers/Provider';
import type { RotationBackend, RotationIo, StagedVersion } from './RotationBackend';
import { readPolicyText } from './readPolicyText';
import type { RotationState } from './RotationState';
import type { RotationVersion } from './RotationVersion';

/** Version tags of rotation (besides the provider's `vc-state`, `vc-token`, `vc-written-at`). */
export const AZURE_ROTATION_TAGS = {
  /** The provider's state tag: `pending` or `retired`. */
  state: 'vc-state',
  /** Id of the rotation attempt that wrote the version (recognises our own retried writes). */
  rotationId: 'vc-rotation-id',
  /** On the current version: the version that was current before it. */
  previous: 'vc-previous',
  /** On the current version: when it was promoted, ms since the epoch. */
  promotedAt: 'vc-promoted-at',
  /** The stored rotation policy (carried from version to version). */
  policy: 'vc-rotation',
  /** On a version written by restoreLatest: the version whose value it copies. */
  copyOf: 'vc-copy-of',
} as const;
const T = AZURE_ROTATION_TAGS;
/** Tags that describe one version and are never carried over to the next. */
const OWN_TAGS = new Set<string>([T.state, T.rotationId, T.previous, T.promotedAt, T.copyOf, 'vc-token', 'vc-written-at']);

/** The policy tag's value once a policy was removed. */
const POLICY_OFF = 'off';

/** Default wait between staging and the concurrency check: Azure's timestamps have one-second resolution. */
export const AZURE_SETTLE_MS = 1_500;

interface AzureNative {
  props: AzureVersionProperties[];
}
interface StagedNative {
  tags: Record<string, string>;
  /** Local clock (ms) when the write returned. */
  returnedAt: number;
  /** Set by confirm: versions newer than ours exist (concurrent rotations that will yield), so ours is not "latest". */
  isOvertaken?: boolean;
  /** Local clock (ms) of confirm's listing. */
  confirmedAt?: number;
}

/**
 * Rotation on Azure Key Vault (see docs/decisions/0002-rotation-mapping.md). Key Vault has no conditional write,
 * so the strongest available guard is "write, wait, read, yield to the earliest":
 * - state: one version listing (tags, enabled, createdOn); the policy is tag `vc-rotation` on the current version;
 * - stage: a new version tagged `vc-state=pending` and `vc-rotation-id`; then confirm: wait `settleMs` (longer
 *   than the one-second resolution of `createdOn`) and list again. The rotation goes on only if the current version
 *   is still the one it started from and no other live pending version is older (by `createdOn`, then version id).
 *   Of rotations that overlap, every one sees the earliest, so exactly one promotes;
 * - promote: one update of the new version's tags (state tag removed, `vc-previous`, `vc-promoted-at` added);
 * - undo / discard: disable the version; retire: disable it and tag it `vc-state=retired`;
 * - restoreLatest (after a failure or a lost race): Azure serves the newest version as "latest" to every other
 *   reader, and a disabled one is refused (403), so when the newest version is a disabled one and no rotation is
 *   in progress, the current value is written again as the newest version (tagged `vc-copy-of`, with the current
 *   version's previous, promotion time and policy) and the version it copies retired.
 * Limit: Azure serves the newest version as "latest" to every other reader (CSI driver, portal) while it is pending.
 *
 * @example
 * ```ts
 * const backend = new AzureRotationBackend(azureClient);
 * ```
 */
export class AzureRotationBackend implements RotationBackend {
  readonly scheme = 'azure';
  readonly #client: AzureKeyVaultClient;
  readonly #settleMs: number;

  constructor(client: AzureKeyVaultClient, options: { settleMs?: number } = {}) {
    this.#client = client;
    this.#settleMs = options.settleMs ?? AZURE_SETTLE_MS;
  }

  async inspect(path: string): Promise<RotationState> {
    let props: AzureVersionProperties[];
    try {
      props = await this.#client.listVersionProperties(path);
    } catch (error) {
      if (isSecretsError(error) && error.code === SecretNotFoundError.code) props = [];
      else throw error;
    }
    return describe(path, props);
  }

  async listVersions(path: string): Promise<RotationVersion[]> {
    return (await this.inspect(path)).versions;
  }

  read(path: string, version: string, signal?: AbortSignal): Promise<FetchedSecret> {
    return this.#client.get(path, { version, ...(signal ? { signal } : {}) });
  }

  async stage(path: string, value: Uint8Array, state: RotationState, io: RotationIo): Promise<StagedVersion> {
    const current = propsOf(state, currentOf(state, path));
    const rid = randomBytes(12).toString('hex');
    const tags: Record<string, string> = { ...carried(current?.tags ?? {}), [T.state]: 'pending', [T.rotationId]: rid };
    const policy = policyText(state);
    if (policy !== undefined) tags[T.policy] = policy;
    await io.beforeWrite();
    try {
      const written = await this.#client.putTagged(path, value, tags);
      return { version: written.version, stagedAt: written.createdAt ?? new Date(io.now()), attempt: rid, native: { tags: written.tags, returnedAt: io.now() } satisfies StagedNative };
    } catch (error) {
      // A write may have been applied although its answer was lost: disable whatever carries our id.
      await this.#disableAttempt(path, rid, undefined, io).catch(() => undefined);
      throw error;
    }
  }

  async confirm(path: string, staged: StagedVersion, state: RotationState, io: RotationIo): Promise<void> {
    // 1. Wait until any rotation that staged before us (createdOn up to ours, plus the 1 s resolution) is visible.
    const returnedAt = (staged.native as StagedNative | undefined)?.returnedAt ?? io.now();
    const wait = returnedAt + this.#settleMs - io.now();
    if (wait > 0) await sleep(wait, undefined, io.signal ? { signal: io.signal } : {});
    // 2. Read the versions again.
    const props = await this.#client.listVersionProperties(path);
    const own = props.find((p) => p.version === staged.version);
    if (!own || !own.enabled) throw new ConflictError(`Rotation of "${path}": its pending version was discarded by another rotation (it was taken for stale); try again.`);
    // 3. Our own duplicates (a retried write): disable them.
    for (const dup of props.filter((p) => p.version !== staged.version && p.enabled && p.tags[T.rotationId] === staged.attempt)) {
      await io.beforeWrite();
      await this.#client.updateVersion(path, dup.version, { enabled: false });
    }
    // 4. Still the same current version, and we are the earliest live pending version: go on. Else yield.
    const current = props.find(isCurrent);
    if (current?.version !== currentOf(state, path)) throw new ConflictError(`Rotation of "${path}": another rotation promoted a new version first.`);
    const earlier = props.find((p) => p.enabled && p.tags[T.state] === 'pending' && p.tags[T.rotationId] !== staged.attempt && before(p, own));
    if (earlier) throw new ConflictError(`Rotation of "${path}": another rotation staged version ${earlier.version} first.`);
    const native = staged.native as StagedNative | undefined;
    if (native) {
      // Azure's own order within one second (createdOn's resolution) is not visible: any other rotation's version
      // from the same second or later may be newer than ours.
      // Versions listed in the state read before staging are older than ours.
      const since = own.createdAt?.getTime() ?? 0;
      const known = new Set((state.native as AzureNative).props.map((p) => p.version));
      native.isOvertaken = props.some((p) => p !== own && !known.has(p.version) && p.tags[T.rotationId] !== undefined && p.tags[T.rotationId] !== staged.attempt && (p.createdAt?.getTime() ?? 0) >= since);
      native.confirmedAt = io.now();
    }
  }

  adopt(pending: RotationVersion, state: RotationState): StagedVersion {
    const p = propsOf(state, pending.version);
    return {
      version: pending.version,
      stagedAt: pending.createdAt ?? new Date(0),
      attempt: p?.tags[T.rotationId] ?? pending.version,
      native: { tags: { ...(p?.tags ?? {}) }, returnedAt: 0 } satisfies StagedNative,
    };
  }

  async promote(path: string, staged: StagedVersion, state: RotationState, io: RotationIo): Promise<void> {
    const tags = { ...((staged.native as StagedNative | undefined)?.tags ?? {}) };
    // vc-written-at stays: it orders versions created in the same second (Azure keeps seconds only).
    delete tags[T.state];
    tags[T.previous] = currentOf(state, path);
    tags[T.promotedAt] = String(Math.floor(io.now()));
    await io.beforeWrite();
    await this.#client.updateVersion(path, staged.version, { tags });
    // Rotations that staged after ours yield and disable their versions, one of which is then Azure's "latest"; the
    // last of them to finish restores it unless ours was still pending then. That can only have happened if one
    // was listed by confirm, or if a whole settle wait passed since (a later one confirmed meanwhile): then restore
    // here (one listing; nothing else when ours is the newest). Best effort: the promotion stands either way.
    const native = staged.native as StagedNative | undefined;
    if (native?.isOvertaken !== false || io.now() - (native.confirmedAt ?? 0) >= this.#settleMs) await this.restoreLatest(path, io).catch(() => undefined);
  }

  async undo(path: string, staged: StagedVersion, _before: RotationState, io: RotationIo): Promise<void> {
    // Disabling the staged version is enough: the current version is the newest enabled one without a state tag,
    // which is the one before ours again.
    await this.#disableAttempt(path, staged.attempt, staged.version, io);
  }

  async discardStale(path: string, pending: RotationVersion, _state: RotationState, io: RotationIo): Promise<void> {
    await io.beforeWrite();
    await this.#client.updateVersion(path, pending.version, { enabled: false });
  }

  async retireAfterPromote(path: string, before: RotationState, isPreviousToo: boolean, io: RotationIo): Promise<string[]> {
    // Duplicate copies left by concurrent restoreLatest calls: same value as the version that is now previous.
    const current = currentOf(before, path);
    const strays = (before.native as AzureNative).props.filter((p) => isCurrent(p) && p.tags[T.copyOf] !== undefined && p.version !== current && p.version !== before.previous?.version);
    const versions = [...(before.previous?.isReadable ? [before.previous.version] : []), ...(isPreviousToo ? [current] : []), ...strays.map((p) => p.version)];
    for (const version of versions) await this.#retireVersion(path, version, before, io);
    return versions;
  }

  async retire(path: string, state: RotationState, io: RotationIo): Promise<void> {
    if (state.previous) await this.#retireVersion(path, state.previous.version, state, io);
  }

  async writePolicy(path: string, text: string | undefined, state: RotationState | undefined, io: RotationIo): Promise<void> {
    const s = state ?? (await this.inspect(path));
    const current = propsOf(s, currentOf(s, path))!;
    const tags = { ...current.tags };
    // Removal is a tag of its own ("off"): older versions still carry the policy, and a current version without
    // the tag (written by a plain put) inherits theirs.
    tags[T.policy] = text ?? POLICY_OFF;
    await io.beforeWrite();
    await this.#client.updateVersion(path, current.version, { tags });
  }

  async restoreLatest(path: string, io: RotationIo): Promise<string | undefined> {
    const props = await this.#client.listVersionProperties(path);
    const current = props.find(isCurrent);
    if (!current) return undefined;
    // Azure's "latest" is the version created last; createdOn has one-second resolution, so a discarded pending
    // version created in the same second as the current one may be it.
    const createdAt = current.createdAt?.getTime() ?? 0;
    const isShadowed = props.some((p) => p !== current && !p.enabled && p.tags[T.state] !== 'retired' && (p.createdAt?.getTime() ?? 0) >= createdAt);
    if (!isShadowed) return undefined;
    // A live pending version is a rotation in progress: it promotes (then restores after itself) or fails (same).
    if (props.some((p) => p.enabled && p.tags[T.state] === 'pending')) return undefined;
    const before = describe(path, props);
    const tags: Record<string, string> = { ...carried(current.tags), [T.copyOf]: current.version };
    const previous = current.tags[T.previous] ?? before.previous?.version;
    if (previous !== undefined) tags[T.previous] = previous;
    const since = current.tags[T.promotedAt] ?? (before.currentSince ? String(before.currentSince.getTime()) : undefined);
    if (since !== undefined) tags[T.promotedAt] = since;
    // 1. The current value again, as the newest version (no state tag: current for this library too).
    const fetched = await this.#client.get(path, { version: current.version });
    let written: { version: string };
    try {
      await io.beforeWrite();
      written = await this.#client.putTagged(path, fetched.value, tags);
    } finally {
      fetched.value.fill(0);
    }
    // 2. Retire the copied version. A copy written in the same second by another process holds the same value and
    //    may be what Azure serves as latest (it orders by creation, finer than createdOn shows): it stays until
    //    the next promotion (retireAfterPromote), after which it can no longer be the latest.
    await this.#retireVersion(path, current.version, before, io);
    return written.version;
  }

  async #retireVersion(path: string, version: string, state: RotationState, io: RotationIo): Promise<void> {
    const tags = { ...(propsOf(state, version)?.tags ?? {}), [T.state]: 'retired' };
    await io.beforeWrite();
    await this.#client.updateVersion(path, version, { tags, enabled: false });
  }

  /** Disable every enabled version of one rotation attempt (and `version` itself). */
  async #disableAttempt(path: string, attempt: string, version: string | undefined, io: RotationIo): Promise<void> {
    const props = await this.#client.listVersionProperties(path);
    for (const p of props.filter((p) => p.enabled && (p.version === version || p.tags[T.rotationId] === attempt))) {
      await io.beforeWrite();
      await this.#client.updateVersion(path, p.version, { enabled: false });
    }
  }
}

function describe(path: string, props: AzureVersionProperties[]): RotationState {
  const current = props.find(isCurrent);
  let previous: AzureVersionProperties | undefined;
  if (current) {
    const marked = current.tags[T.previous];
    previous =
      marked !== undefined
        ? props.find((p) => p.version === marked && isCurrent(p))
        : props.slice(props.indexOf(current) + 1).find(isCurrent);
  }
  const versions = props.map((p): RotationVersion => {
    let state: RotationVersion['state'] = 'retired';
    if (p === current) state = 'current';
    else if (p === previous) state = 'previous';
    else if (p.enabled && p.tags[T.state] === 'pending') state = 'pending';
    const stages = [...(p.tags[T.state] !== undefined ? [p.tags[T.state]!] : []), ...(p.enabled ? [] : ['disabled'])];
    return { version: p.version, state, ...(p.createdAt ? { createdAt: p.createdAt } : {}), isReadable: p.enabled, stages };
  });
  const state: RotationState = {
    path,
    scheme: 'azure',
    pending: versions.filter((v) => v.state === 'pending'),
    versions,
    ...readPolicyText(policyOf(props)),
    native: { props } satisfies AzureNative,
  };
  const cur = versions.find((v) => v.state === 'current');
  if (cur) state.current = cur;
  const prev = versions.find((v) => v.state === 'previous');
  if (prev) state.previous = prev;
  const promotedAt = current?.tags[T.promotedAt];
  const since = promotedAt !== undefined && /^\d{1,15}$/.test(promotedAt) ? new Date(Number(promotedAt)) : current?.createdAt;
  if (since) state.currentSince = since;
  return state;
}

/** The provider's rule: the current version is the newest enabled one without a state tag (so is the previous one). */
function isCurrent(p: AzureVersionProperties): boolean {
  return p.enabled && p.tags[T.state] === undefined;
}

/** Whether `a` was staged before `b`: createdOn (server, seconds), then version id; the same on every reader. */
function before(a: AzureVersionProperties, b: AzureVersionProperties): boolean {
  const ta = a.createdAt?.getTime() ?? 0;
  const tb = b.createdAt?.getTime() ?? 0;
  return ta < tb || (ta === tb && a.version < b.version);
}

function carried(tags: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tags).filter(([k]) => !OWN_TAGS.has(k)));
}

function propsOf(state: RotationState, version: string): AzureVersionProperties | undefined {
  return (state.native as AzureNative).props.find((p) => p.version === version);
}

function policyText(state: RotationState): string | undefined {
  return policyOf((state.native as AzureNative).props);
}

/** The current version's policy tag, else the newest version's that has one; "off" (removed) reads as none. */
function policyOf(props: AzureVersionProperties[]): string | undefined {
  const text = props.find(isCurrent)?.tags[T.policy] ?? props.find((p) => p.tags[T.policy] !== undefined)?.tags[T.policy];
  return text === POLICY_OFF ? undefined : text;
}

function currentOf(state: RotationState, path: string): string {
  if (!state.current) throw new SecretNotFoundError(`Secret "${path}" has no current version in Azure Key Vault; write a value first.`);
  return state.current.version;
}
