import type { RotationGenerator } from './RotationGenerator';
import type { RotationState } from './RotationState';
import type { WriteLimiter } from './WriteLimiter';

/** What the app's verify check gets: a view of the new value in locked memory, valid only during the call. */
export interface RotationCandidate {
  path: string;
  /** The backend version id of the staged (pending) version. */
  version: string;
  view: Buffer;
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
