import type { RotationStepEvent } from './RotationStepEvent';

/**
 * What a successful {@link SecretRotator.rotate} (or rollback) returns.
 *
 * @example
 * ```ts
 * const { version, previousVersion, graceEndsAt } = await rotator.rotate('tenants/acme/API_KEY');
 * ```
 */
export interface RotationResult {
  path: string;
  /** The version that is current now. */
  version: string;
  /** The version that was current before; readable until `graceEndsAt`. */
  previousVersion: string;
  graceEndsAt: Date;
  /** A crashed rotation's pending version was verified and promoted instead of a new one. */
  isResumed: boolean;
  /** Versions retired by step 6 (the one before the previous one; the previous one too with a grace period of 0). */
  retired: string[];
  /** Rollback only: the version whose value was restored (on Vault and Azure it is copied into `version`). */
  restoredFrom?: string;
  /** Every step event, as `hooks.onStep` got them. */
  steps: RotationStepEvent[];
}
