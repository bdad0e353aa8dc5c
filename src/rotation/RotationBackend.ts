import type { FetchedSecret } from '../providers/Provider';
import type { RotationState } from './RotationState';
import type { RotationVersion } from './RotationVersion';

/** What a backend mapping gets for its calls: the write pacing, the clock, the caller's signal. */
export interface RotationIo {
  /** Awaited right before every write call (the scheduler's write quota). */
  beforeWrite(): Promise<void>;
  /** Milliseconds since the epoch. */
  now(): number;
  signal?: AbortSignal;
}

/** A version written by step 2 (or a crashed rotation's pending version being resumed). */
export interface StagedVersion {
  version: string;
  /** When it was staged (the backend's time where it reports one). */
  stagedAt: Date;
  /** The attempt's own id (AWS ClientRequestToken = version id; Azure `vc-rotation-id` tag; Vault the version). */
  attempt: string;
  /** Backend details (Azure: the version's tags and when the write returned). */
  native?: unknown;
}

/**
 * How rotation maps onto one backend (docs/decisions/0002-rotation-mapping.md). One implementation per backend,
 * made by rotationBackendFor() from a provider client; every call here is one or two backend calls, so the
 * rotator can count on them. Methods throw SecretsError subclasses; ConflictError means another rotation won.
 *
 * @example
 * ```ts
 * const backend = rotationBackendFor(client);
 * const state = await backend.inspect('tenants/acme/API_KEY');
 * ```
 */
export interface RotationBackend {
  readonly scheme: string;
  /** The state in one read call; a secret that does not exist has no current version. */
  inspect(path: string): Promise<RotationState>;
  /** Every version, with retired ones (AWS needs ListSecretVersionIds for those). */
  listVersions(path: string): Promise<RotationVersion[]>;
  read(path: string, version: string, signal?: AbortSignal): Promise<FetchedSecret>;
  /** Step 2: write `value` as a pending version above `state.current`; cleans up its own attempt when it fails. */
  stage(path: string, value: Uint8Array, state: RotationState, io: RotationIo): Promise<StagedVersion>;
  /** After step 2: prove this rotation is the only one (Azure); ConflictError otherwise. */
  confirm(path: string, staged: StagedVersion, state: RotationState, io: RotationIo): Promise<void>;
  /** A crashed rotation's pending version, taken over to be verified and promoted. */
  adopt(pending: RotationVersion, state: RotationState): StagedVersion;
  /** Step 4: make `staged` current; `state.current` becomes previous. */
  promote(path: string, staged: StagedVersion, state: RotationState, io: RotationIo): Promise<void>;
  /** Back to `before` after a failure: current is `before.current` again and `staged` is neither current nor pending. */
  undo(path: string, staged: StagedVersion, before: RotationState, io: RotationIo): Promise<void>;
  /** Discard a stale pending version of a crashed rotation. */
  discardStale(path: string, pending: RotationVersion, state: RotationState, io: RotationIo): Promise<void>;
  /**
   * Step 6 right after a promotion: retire the version that was previous before it (now one older), and the new
   * previous (`before.current`) too when there is no grace period. Returns the retired version ids.
   */
  retireAfterPromote(path: string, before: RotationState, isPreviousToo: boolean, io: RotationIo): Promise<string[]>;
  /** Step 6 after the grace period: retire `state.previous`. */
  retire(path: string, state: RotationState, io: RotationIo): Promise<void>;
  /** Make an existing version current in place (AWS). Absent: roll back by writing a copy as a new version. */
  switchCurrent?(path: string, target: string, state: RotationState, io: RotationIo): Promise<void>;
  /**
   * After a failure: when the version the backend itself serves as "latest" (what readers that know nothing of
   * rotation read: `vault kv get`, Vault Agent, the CSI providers, Azure's `getSecret`) is an unreadable one left
   * by an undo (destroyed or disabled) and no rotation is in progress, write a copy of the current value as the
   * newest version and make it current (the version it copies is retired). Returns the new current version, or
   * undefined when nothing was needed. Absent: the backend's own default read is always the current version (AWS).
   */
  restoreLatest?(path: string, io: RotationIo): Promise<string | undefined>;
  /** Store (or with undefined remove) the policy text with the secret. */
  writePolicy(path: string, text: string | undefined, state: RotationState | undefined, io: RotationIo): Promise<void>;
}
