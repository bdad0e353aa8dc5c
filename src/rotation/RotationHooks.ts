import type { RotationStepEvent } from './RotationStepEvent';

/**
 * Callbacks of one rotation. `onStep` is awaited: when it throws (an audit trail failing closed), the step counts
 * as failed and the rotation is rolled back like any other failure (the step is then reported once more, as
 * failed, best effort).
 *
 * @example
 * ```ts
 * await rotator.rotate('tenants/acme/API_KEY', {}, { onStep: (e) => trail.record(toAudit(e)) });
 * ```
 */
export interface RotationHooks {
  onStep?: (event: RotationStepEvent) => void | Promise<void>;
}
