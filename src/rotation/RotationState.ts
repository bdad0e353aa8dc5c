import type { RotationPolicy } from './RotationPolicy';
import type { RotationVersion } from './RotationVersion';

/**
 * A secret's rotation state read from its backend in one call (AWS DescribeSecret, Vault `GET metadata`, Azure
 * version listing): which version is current, previous and pending, since when the current one is current, and
 * the stored policy. Never a value. {@link RotationScheduler.rotateDue} reads it once per secret and hands it to
 * the rotation, which then needs no second read.
 *
 * @example
 * ```ts
 * const state = await rotator.inspect('tenants/acme/API_KEY');
 * state.pending.length === 0; // no rotation in progress
 * ```
 */
export interface RotationState {
  path: string;
  /** Provider scheme: aws, vault, azure. */
  scheme: string;
  /** Undefined when nothing is current (no secret, or only a pending version). */
  current?: RotationVersion;
  /** The previous version while it keeps its role (not retired yet). */
  previous?: RotationVersion;
  /** Staged, not current, not discarded: a rotation in progress or one that crashed. Newest first. */
  pending: RotationVersion[];
  /** Every version this read saw, newest first (AWS: labelled versions only; listVersions adds the rest). */
  versions: RotationVersion[];
  /** When the current version became current (start of the previous version's grace period). */
  currentSince?: Date;
  /** The stored rotation policy, if any. */
  policy?: RotationPolicy;
  /** The stored policy text could not be parsed (it is then ignored). */
  hasInvalidPolicy?: boolean;
  /** Backend details the backend adapter of rotation needs later (tags, custom metadata). Opaque. */
  readonly native: unknown;
}
