import { codeOf } from './codeOf';
import type { RotationHooks } from './RotationHooks';
import type { RotationStep } from './RotationStep';
import type { RotationStepEvent } from './RotationStepEvent';

/**
 * Builds the step events of one rotation and hands each to `hooks.onStep`: `event` lets a hook failure through
 * (the step then fails), `failed` and `safe` swallow it (the rotation is failing or undoing already).
 *
 * @example
 * ```ts
 * const report = new StepReporter(hooks);
 * const mark = performance.now();
 * await report.event({ step: 'generate', outcome: 'ok' }, mark);
 * ```
 */
export class StepReporter {
  readonly events: RotationStepEvent[] = [];
  readonly #hooks: RotationHooks;

  constructor(hooks: RotationHooks) {
    this.#hooks = hooks;
  }

  async event(event: Omit<RotationStepEvent, 'durationMs'>, since: number): Promise<void> {
    const full: RotationStepEvent = { ...event, durationMs: Math.round((performance.now() - since) * 1_000) / 1_000 };
    this.events.push(full);
    await this.#hooks.onStep?.(full);
  }

  async safe(event: Omit<RotationStepEvent, 'durationMs'>, since: number): Promise<void> {
    try {
      await this.event(event, since);
    } catch {
      // The hook's own failure cannot be reported through the hook.
    }
  }

  async failed(step: RotationStep, since: number, error: unknown, version?: string): Promise<void> {
    await this.safe({ step, outcome: 'failed', reason: codeOf(error), ...(version !== undefined ? { version } : {}) }, since);
  }
}
