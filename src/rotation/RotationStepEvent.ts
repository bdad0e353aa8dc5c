import type { RotationStep } from './RotationStep';

/**
 * What `hooks.onStep` receives once per step that ran: never a value, only ids, times and codes. The service
 * writes one audit event per step from it (`secrets.rotate.<step>`).
 *
 * - `ok`: the step did its work. `skipped`: it had nothing to do (a resumed rotation skips generate and stage; a
 *   grace period of 0 skips grace). `deferred`: retire waits for the grace period to end. `failed`: the step
 *   failed; `reason` holds the error code.
 *
 * @example
 * ```ts
 * hooks.onStep = (e) => audit.record({ action: `secrets.rotate.${e.step}`, outcome: e.outcome === 'failed' ? 'failed' : 'allowed', version: e.version, reason: e.reason });
 * ```
 */
export interface RotationStepEvent {
  step: RotationStep;
  outcome: 'ok' | 'failed' | 'skipped' | 'deferred';
  /** The backend version id the step is about (the new version; for grace and retire the previous one). */
  version?: string;
  /** Milliseconds the step took. */
  durationMs: number;
  /** An error code (`E_CONFLICT`, `E_ROTATION`, ...) or a short word (`resumed`, `stale-pending`); never a value. */
  reason?: string;
  /** grace / retire: when the previous version's grace period ends. */
  graceEndsAt?: Date;
}
