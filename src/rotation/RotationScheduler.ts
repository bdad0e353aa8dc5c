import { codeOf } from './codeOf';
import { isRotationConflict } from './isRotationConflict';
import { nextRotationAt } from './nextRotationAt';
import type { ProviderClient } from '../providers/Provider';
import type { RotationPolicy } from './RotationPolicy';
import type { RotationState } from './RotationState';
import { SecretRotator } from './SecretRotator';
import type { WriteLimiter } from './WriteLimiter';
import { WriteRateLimiter } from './WriteRateLimiter';

/** One secret that rotateDue looks at. */
export interface RotationTarget {
  /** How the report names it, e.g. `acme/API_KEY` (never a value). */
  id: string;
  client: ProviderClient;
  /** The logical path in the client, e.g. `prod/tenants/acme/API_KEY`. */
  path: string;
}

/** What rotateFn / retireFn get besides the target: the state just read and the client's write limiter. */
export interface RotationTargetContext {
  state: RotationState;
  writeLimiter: WriteLimiter;
  signal?: AbortSignal;
}

/** Progress after each target. */
export interface RotateDueProgress {
  total: number;
  done: number;
  due: number;
  rotated: number;
  retired: number;
  failed: number;
}

/** One target that failed; the run went on. */
export interface RotateDueFailure {
  id: string;
  /** `inspect`, `rotate` or `retire`. */
  phase: 'inspect' | 'rotate' | 'retire';
  /** Error code (E_ROTATION, E_CONFLICT, ...). */
  code: string;
  /** The failed rotation step, for E_ROTATION. */
  step?: string;
  /** Another rotation was running or won: nothing of this one was left behind. */
  isConflict: boolean;
  message: string;
}

/** The end report of {@link RotationScheduler.rotateDue}. */
export interface RotateDueReport {
  total: number;
  /** Targets that had a policy (stored, or the default one). */
  scheduled: number;
  due: number;
  rotated: string[];
  retired: string[];
  failures: RotateDueFailure[];
  /** Earliest due time among targets not due yet. */
  nextDueAt?: Date;
  durationMs: number;
  /** Writes let through by the limiters (what the steps needed). */
  writes: number;
}

/** Options of {@link RotationScheduler.rotateDue}. */
export interface RotateDueOptions {
  /** Targets in flight at once. Default 8. */
  concurrency?: number;
  /**
   * Writes per second per provider client (each write call waits for its slot). Default: 50 for AWS (its quota
   * for PutSecretValue, UpdateSecretVersionStage, TagResource... per region), 200 for Azure (Key Vault allows 4,000
   * transactions per 10 s per vault), 500 for Vault (no quota; a ceiling to spare the server).
   */
  writesPerSecond?: number | ((client: ProviderClient) => number);
  /** Called after each target. */
  onProgress?: (progress: RotateDueProgress) => void;
  /** Retire previous versions whose grace period ended (targets not due). Without it nothing is retired. */
  retireFn?: (target: RotationTarget, context: RotationTargetContext) => Promise<unknown>;
  /** Policy of targets that have none stored. Default: such targets are not rotated. */
  defaultPolicy?: RotationPolicy;
  /** Clock (ms since the epoch). Default Date.now. */
  now?: () => number;
  signal?: AbortSignal;
}

const DEFAULT_WRITES: Record<string, number> = { aws: 50, azure: 200 };

/**
 * Finds the secrets that are due and rotates them, for a CLI run or a Kubernetes CronJob, numbered as in the code:
 * 1. Take targets in order, `concurrency` at a time.
 * 2. Read each one's state (one read call, which holds the stored policy, the current version's time and the
 *    pending versions).
 * 3. Due (see nextRotationAt): call `rotateFn(target, { state, writeLimiter })`, which rotates it (the service
 *    wraps SecretRotator.rotate with its access check and audit) and reuses the state instead of reading again.
 *    Not due: if `retireFn` is given and the previous version's grace period has ended, call it.
 * 4. Every write of a provider client waits for a slot of that client's {@link WriteRateLimiter}.
 * 5. A failure is recorded and the run goes on; `onProgress` after each target; the report lists the failures.
 *
 * @example
 * ```ts
 * const report = await new RotationScheduler().rotateDue(targets, (t, ctx) => service.rotate(ctx0, t.tenant, t.name, ctx), {
 *   concurrency: 16, onProgress: (p) => bar.update(p.done),
 * });
 * ```
 */
export class RotationScheduler {
  readonly #rotators = new WeakMap<ProviderClient, SecretRotator>();

  /** The rotator of a client (one per client, reused). */
  rotatorFor(client: ProviderClient): SecretRotator {
    let rotator = this.#rotators.get(client);
    if (!rotator) {
      rotator = new SecretRotator({ client });
      this.#rotators.set(client, rotator);
    }
    return rotator;
  }

  async rotateDue(
    targets: Iterable<RotationTarget>,
    rotateFn: (target: RotationTarget, context: RotationTargetContext) => Promise<unknown>,
    options: RotateDueOptions = {},
  ): Promise<RotateDueReport> {
    const started = performance.now();
    const now = options.now ?? Date.now;
    const list = [...targets];
    const limiters = new Map<ProviderClient, WriteRateLimiter>();
    const limiterOf = (client: ProviderClient) => {
      let limiter = limiters.get(client);
      if (!limiter) {
        const wps = typeof options.writesPerSecond === 'function' ? options.writesPerSecond(client) : (options.writesPerSecond ?? DEFAULT_WRITES[client.scheme] ?? 500);
        limiter = new WriteRateLimiter(wps);
        limiters.set(client, limiter);
      }
      return limiter;
    };
    const report: RotateDueReport = { total: list.length, scheduled: 0, due: 0, rotated: [], retired: [], failures: [], durationMs: 0, writes: 0 };
    const progress: RotateDueProgress = { total: list.length, done: 0, due: 0, rotated: 0, retired: 0, failed: 0 };
    let nextDue: number | undefined;

    const fail = (target: RotationTarget, phase: RotateDueFailure['phase'], error: unknown) => {
      const step = (error as { step?: unknown } | null)?.step;
      report.failures.push({
        id: target.id,
        phase,
        code: codeOf(error),
        ...(typeof step === 'string' ? { step } : {}),
        isConflict: isRotationConflict(error) || codeOf(error) === 'E_CONFLICT',
        message: codeOf(error) === 'E_UNEXPECTED' ? 'unexpected error (message withheld)' : (error as Error).message,
      });
      progress.failed++;
    };

    const one = async (target: RotationTarget) => {
      // 2. One read: policy, times, pending versions.
      let state: RotationState;
      try {
        state = await this.rotatorFor(target.client).inspect(target.path);
      } catch (error) {
        return fail(target, 'inspect', error);
      }
      const policy = state.policy ?? options.defaultPolicy;
      if (!policy || !state.current) return;
      report.scheduled++;
      const last = state.currentSince ?? state.current.createdAt ?? new Date(0);
      const at = nextRotationAt(policy, last, { key: target.path, now: now() });
      const context: RotationTargetContext = { state, writeLimiter: limiterOf(target.client), ...(options.signal ? { signal: options.signal } : {}) };
      // 3. Due: rotate. Not due: retire what outlived its grace period.
      if (at.getTime() <= now()) {
        report.due++;
        progress.due++;
        try {
          await rotateFn(target, context);
          report.rotated.push(target.id);
          progress.rotated++;
        } catch (error) {
          fail(target, 'rotate', error);
        }
        return;
      }
      nextDue = Math.min(nextDue ?? Infinity, at.getTime());
      const grace = policy.gracePeriodMs ?? 86_400_000;
      if (options.retireFn && state.previous && state.currentSince && state.currentSince.getTime() + grace <= now()) {
        try {
          await options.retireFn(target, context);
          report.retired.push(target.id);
          progress.retired++;
        } catch (error) {
          fail(target, 'retire', error);
        }
      }
    };

    // 1. Bounded concurrency over the targets; 5. go on past failures.
    let next = 0;
    const worker = async () => {
      while (next < list.length && !options.signal?.aborted) {
        const target = list[next++]!;
        try {
          await one(target);
        } catch (error) {
          fail(target, 'rotate', error);
        }
        progress.done++;
        try {
          options.onProgress?.({ ...progress });
        } catch {
          // A progress display must not stop the run.
        }
      }
    };
    const concurrency = Math.max(1, Math.floor(options.concurrency ?? 8));
    await Promise.all(Array.from({ length: Math.min(concurrency, list.length) }, worker));
    if (nextDue !== undefined) report.nextDueAt = new Date(nextDue);
    for (const limiter of limiters.values()) report.writes += limiter.acquired;
    report.durationMs = performance.now() - started;
    return report;
  }
}
