import type { RotationGenerator } from './RotationGenerator';
import type { RotationState } from './RotationState';
import type { WriteLimiter } from './WriteLimiter';

/** What the app's verify check gets: a lent view of the new value in locked memory, readable until the check (or its promise) is done; kept longer it reads zeros, never another value. */
export interface RotationCandidate {
  path: string;
  /** The backend version id of the staged (pending) version. */
  version: string;
  view: Buffer;
}

/** One version's value lent to a {@link RotationApplier}: a view into locked memory, valid during the call. */
export interface RotationValue {
  version: string;
  view: Buffer;
}

/** What a {@link RotationApplier} gets: the secret, the candidate (pending) value, the current and previous values. */
export interface RotationChange {
  path: string;
  /** The pending value being rotated in. Absent when `restore` runs for a stale pending version left by a crash. */
  candidate?: RotationValue;
  /** The value readers take for current now (the one a failed rotation returns to). */
  current: RotationValue;
  /** The previous value, when it is still readable (within its grace period). */
  previous?: RotationValue;
}

/**
 * The system a secret opens (a database role, an API's key list). With an applier, a rotation gets step 2b,
 * `apply`, between stage and verify: the pending value is put in force there, so step 3 can check it for real
 * (log in with it). Whenever the rotation does not complete (verify or promote fails, the caller aborts, or a
 * stale pending version left by a crash is rolled back), `restore` puts the system back in the state the current
 * value expects. Both should be idempotent: a crash between them is repaired by running them again.
 *
 * @example
 * ```ts
 * const applier: RotationApplier = {
 *   apply: ({ candidate }) => db.setPassword('app', candidate!.view),
 *   restore: ({ current }) => db.setPassword('app', current.view),
 * };
 * await rotator.rotate('DB_PASSWORD', { applier, verify: ({ view }) => db.tryLogin('app', view) });
 * ```
 */
export interface RotationApplier {
  apply(change: RotationChange & { candidate: RotationValue }, signal: AbortSignal): void | Promise<void>;
  restore(change: RotationChange, signal: AbortSignal): void | Promise<void>;
}

/**
 * Step 3's app check: resolve (or return true/undefined) to accept the new value, return false or throw to reject
 * it. `signal` aborts when `verifyTimeoutMs` passes or the rotation is aborted. Whatever it throws is replaced by
 * a summary without its message (it could quote the value).
 */
export type RotationVerifier = (candidate: RotationCandidate, signal: AbortSignal) => boolean | void | Promise<boolean | void>;

/**
 * Options of {@link SecretRotator.rotate}.
 *
 * @example
 * ```ts
 * await rotator.rotate('tenants/acme/DB_PASSWORD', {
 *   generator: passwordGenerator({ length: 32 }),
 *   verify: async ({ view }) => db.tryLogin('app', view),
 *   gracePeriodMs: 3_600_000,
 * });
 * ```
 */
export interface RotateOptions {
  /** Step 1. Default: 32 random bytes as base64. */
  generator?: RotationGenerator;
  /** Step 2b: put the pending value in force in the system it opens (and undo it on failure). */
  applier?: RotationApplier;
  /** Time limit of each `applier` call (ms). Default 60,000. */
  applierTimeoutMs?: number;
  /** Step 3: the app's check, after the read-back comparison. */
  verify?: RotationVerifier;
  /** Step 3: read the staged version back and compare digests with the generated value. Default true. */
  readBack?: boolean;
  /** Time limit of `verify` (ms). Default 60,000. */
  verifyTimeoutMs?: number;
  /** Step 5: how long the previous version stays readable. Default: the stored policy's, else 24 h. 0 retires it at once. */
  gracePeriodMs?: number;
  /**
   * A pending version younger than this (ms) is a rotation in progress: this rotation fails with a conflict and
   * writes nothing. An older one was left by a crash: it is rolled back (default) or resumed. Default 600,000
   * (10 minutes); keep it above the longest rotation (verify included).
   */
  staleAfterMs?: number;
  /** What to do with a stale pending version: `rollback` (discard it, then rotate) or `resume` (verify and promote it). */
  onStale?: 'rollback' | 'resume';
  /** The state read just before (RotationScheduler passes it), to save a read. */
  state?: RotationState;
  /** Paces every write (RotationScheduler passes one per provider client). */
  writeLimiter?: WriteLimiter;
  /** Aborts between and during steps; what was staged is rolled back. */
  signal?: AbortSignal;
}
