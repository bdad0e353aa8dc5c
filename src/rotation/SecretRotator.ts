import { ConflictError } from '../errors/ConflictError';
import { RotationError } from '../errors/RotationError';
import { SecretNotFoundError } from '../errors/SecretNotFoundError';
import { isSecretsError } from '../errors/SecretsError';
import { SecureArena, type LockedSlice } from '../memory/SecureArena';
import type { FetchedSecret, ProviderClient } from '../providers/Provider';
import { formatRotationPolicy } from './formatRotationPolicy';
import { randomBytesGenerator } from './randomBytesGenerator';
import type { RotateOptions, RotationChange, RotationVerifier } from './RotateOptions';
import type { RotationBackend, RotationIo, StagedVersion } from './RotationBackend';
import { rotationBackendFor } from './rotationBackendFor';
import { rotationError } from './rotationError';
import type { RotationGenerator, RotationGeneratorContext } from './RotationGenerator';
import type { RotationHooks } from './RotationHooks';
import type { RotationPolicy } from './RotationPolicy';
import type { RotationResult } from './RotationResult';
import type { RotationState } from './RotationState';
import type { RotationStep } from './RotationStep';
import type { RotationVersion } from './RotationVersion';
import { sameBytes } from './sameBytes';
import { StepReporter } from './StepReporter';
import type { VersionViews } from './VersionViews';
import type { WriteLimiter } from './WriteLimiter';

const DAY = 86_400_000;
const DEFAULT_STALE_MS = 600_000;
const DEFAULT_VERIFY_TIMEOUT_MS = 60_000;

/** Options of {@link SecretRotator}. */
export interface SecretRotatorOptions {
  /** The provider client of the secrets (AWS Secrets Manager, Vault/OpenBao KV v2 or Azure Key Vault). Not closed here. */
  client: ProviderClient;
  /** Locked memory for generated and read values. Default: a private arena, created on first need. */
  arena?: SecureArena;
  /** Azure: wait between staging and the concurrency check (ms), at least 1,100. Default 1,500. */
  azureSettleMs?: number;
  /** Clock, ms since the epoch (tests). Default Date.now. */
  now?: () => number;
}

/** Options of {@link SecretRotator.useVersions}. */
export interface UseVersionsOptions {
  /** Grace period to apply: default the stored policy's, else 24 h. The previous value is offered only within it. */
  gracePeriodMs?: number;
  /** A state read just before, to save a read. */
  state?: RotationState;
  signal?: AbortSignal;
}

/** Options of {@link SecretRotator.rollback}. */
export interface RollbackOptions {
  /** The version to make current again. Default: the previous version. */
  version?: string;
  /** Checked on the restored value before it becomes current (as in a rotation's step 3). */
  verify?: RotationVerifier;
  verifyTimeoutMs?: number;
  /** Vault and Azure restore by writing a copy: read it back and compare digests. Default true. */
  readBack?: boolean;
  /** As in {@link RotateOptions.staleAfterMs}: a fresher pending version is a rotation in progress (conflict). */
  staleAfterMs?: number;
  state?: RotationState;
  writeLimiter?: WriteLimiter;
  signal?: AbortSignal;
}

/** Options of {@link SecretRotator.retireExpired}. */
export interface RetireOptions {
  /** Default: the stored policy's grace period, else 24 h. */
  gracePeriodMs?: number;
  state?: RotationState;
  writeLimiter?: WriteLimiter;
  signal?: AbortSignal;
}

/** What {@link SecretRotator.retireExpired} did. */
export interface RetireResult {
  isRetired: boolean;
  /** The previous version (retired now, or still in its grace period). */
  version?: string;
  graceEndsAt?: Date;
}

/**
 * Rotates secrets of one provider client safely, and manages their versions. The steps of {@link rotate}, marked
 * with the same numbers in the code:
 *
 * 0. Read the state (one call; none when the scheduler hands it over). No current version: fail. A pending version
 *    younger than `staleAfterMs` is a rotation in progress: fail with a conflict, writing nothing. An older one was
 *    left by a crash: roll it back (default) or resume it (verify and promote it instead of a new value).
 * 1. Generate the new value straight into locked memory (built-in or app generator).
 * 2. Stage it as a pending version that readers do not take for current (AWS AWSPENDING with our
 *    ClientRequestToken; Vault a KV version above the pinned current one, written with check-and-set; Azure a
 *    version tagged pending, then the settle-and-check of concurrent rotations).
 * 3. Verify it: read it back and compare keyed digests with the generated value, then the app's check.
 * 4. Promote it to current (AWS UpdateSecretVersionStage with RemoveFromVersionId; Vault move the pin; Azure drop
 *    the pending tag). If the answer is lost, the state is read again to learn whether it applied.
 * 5. Grace: the previous version stays readable for `gracePeriodMs` (default 24 h); {@link useVersions} hands it
 *    out with the current one until then.
 * 6. Retire: the version before the previous one is retired now; the previous one when its grace period ends
 *    ({@link retireExpired}, which RotationScheduler runs), or at once with a grace period of 0.
 *
 * A failure in steps 0-4 rolls the secret back to its state before step 2 (the staged version is discarded and,
 * if it was promoted, the previous current version is restored) and throws RotationError with the step. Failures
 * in steps 5-6 come after the new value took effect: the promotion is kept (undoing it could break clients that
 * already use the new value) and RotationError says so. `hooks.onStep` gets one event per step that ran, plus a
 * `rollback` event when something was undone; never a value.
 *
 * @example
 * ```ts
 * const rotator = new SecretRotator({ client });
 * const { version } = await rotator.rotate('tenants/acme/API_KEY', { verify: async ({ view }) => api.check(view) }, { onStep: audit });
 * await rotator.useVersions('tenants/acme/JWT_KEY', ({ current, previous }) => verifyJwt(token, current.view, previous?.view));
 * ```
 */
export class SecretRotator {
  readonly client: ProviderClient;
  readonly #backend: RotationBackend;
  readonly #now: () => number;
  #arena: SecureArena | undefined;

  constructor(options: SecretRotatorOptions) {
    this.client = options.client;
    this.#backend = rotationBackendFor(options.client, options.azureSettleMs !== undefined ? { azureSettleMs: options.azureSettleMs } : {});
    this.#arena = options.arena;
    this.#now = options.now ?? Date.now;
  }

  /** The secret's rotation state in one read: current, previous and pending versions, policy. */
  inspect(path: string): Promise<RotationState> {
    return this.#backend.inspect(path);
  }

  /** Every version with its metadata (id, created, state), newest first. Never a value. */
  listVersions(path: string): Promise<RotationVersion[]> {
    return this.#backend.listVersions(path);
  }

  /** The stored rotation policy, if any. */
  async getPolicy(path: string): Promise<RotationPolicy | undefined> {
    return (await this.#backend.inspect(path)).policy;
  }

  /** Store the rotation policy with the secret's metadata (null removes it). Validates first (ConfigError). */
  async setPolicy(path: string, policy: RotationPolicy | null, options: { state?: RotationState; writeLimiter?: WriteLimiter } = {}): Promise<void> {
    const text = policy === null ? undefined : formatRotationPolicy(policy);
    await this.#backend.writePolicy(path, text, options.state, this.#io(options));
  }

  /** Rotate one secret: steps 0-6 above. */
  async rotate(path: string, options: RotateOptions = {}, hooks: RotationHooks = {}): Promise<RotationResult> {
    const report = new StepReporter(hooks);
    const io = this.#io(options);
    let mark = performance.now();
    // 0. The state before step 2 (a failure here counts as one of step 2, whose precondition it is).
    let state: RotationState;
    let adopted: RotationVersion | undefined;
    let discarded = 0;
    try {
      state = options.state?.path === path ? options.state : await this.#backend.inspect(path);
      ({ state, adopted, discarded } = await this.#settlePending(path, state, options, io, report));
    } catch (error) {
      await report.failed('stage', mark, error);
      throw rotationError(path, 'stage', error, 'nothing of this rotation was written.');
    }
    const base = state.current!;

    let step: RotationStep = 'generate';
    const cell: { slice?: LockedSlice } = {};
    let staged: StagedVersion | undefined;
    // With an applier: the current (and previous) values, for the generator and the target's apply/restore.
    const lent: { current?: LockedSlice; previous?: LockedSlice } = {};
    let isApplied = false;
    try {
      if (options.applier) {
        // 0b. A crash may have left the system on a discarded pending value: put it back on the current one.
        mark = performance.now();
        await this.#lendValues(path, state, lent, options.signal);
        if (discarded > 0) {
          await this.#callApplier('restore', options, this.#change(path, state, lent));
          await report.event({ step: 'rollback', outcome: 'ok', version: base.version, reason: 'applier-restored' }, mark);
        }
      }
      // 1. Generate the new value straight into locked memory (a resumed rotation's value is in the backend).
      step = 'generate';
      mark = performance.now();
      if (adopted) await report.event({ step, outcome: 'skipped', reason: 'resumed', version: adopted.version }, mark);
      else {
        const context = lent.current ? { current: { version: base.version, view: lent.current.lend() } } : undefined;
        cell.slice = await this.#generate(options.generator ?? DEFAULT_GENERATOR, context);
        await report.event({ step, outcome: 'ok' }, mark);
      }
      // 2. Stage it as a pending version, not current; make sure no concurrent rotation staged first.
      step = 'stage';
      mark = performance.now();
      checkAbort(options.signal, path);
      if (adopted) {
        staged = this.#backend.adopt(adopted, state);
        await report.event({ step, outcome: 'skipped', reason: 'resumed', version: staged.version }, mark);
      } else {
        staged = await this.#backend.stage(path, cell.slice!.view, state, io);
        await this.#backend.confirm(path, staged, state, io);
        await report.event({ step, outcome: 'ok', version: staged.version }, mark);
      }
      // 2b. Apply: put the pending value in force in the system it opens (a database role), so that step 3 can
      //     check it for real. From here on, a failure restores the system to the current value.
      if (options.applier) {
        step = 'apply';
        mark = performance.now();
        checkAbort(options.signal, path);
        cell.slice ??= await this.#readLocked(path, staged.version, options.signal);
        isApplied = true;
        const change = this.#change(path, state, lent);
        await this.#callApplier('apply', options, { ...change, candidate: { version: staged.version, view: cell.slice.lend() } });
        await report.event({ step, outcome: 'ok', version: staged.version }, mark);
      }
      // 3. Verify: read back and compare digests, then the app's check.
      step = 'verify';
      mark = performance.now();
      checkAbort(options.signal, path);
      await this.#verify(path, staged, cell, options);
      await report.event({ step, outcome: 'ok', version: staged.version }, mark);
      // 4. Promote it to current.
      step = 'promote';
      mark = performance.now();
      checkAbort(options.signal, path);
      await this.#promote(path, staged, state, io);
      await report.event({ step, outcome: 'ok', version: staged.version }, mark);
    } catch (error) {
      await report.failed(step, mark, error, staged?.version);
      let outcome: string;
      if (staged !== undefined) outcome = await this.#undo(path, staged, state, io, report);
      else if (step === 'stage' || isDiscarded(report)) {
        // A write whose answer was lost may have been discarded, or a crashed rotation's version was: either can
        // leave the backend's own latest version unreadable.
        outcome = await this.#restoreLatest(path, io, report, `nothing was staged; version ${base.version} is still current.`);
      } else outcome = `nothing was staged; version ${base.version} is still current.`;
      if (isApplied) outcome += ' ' + (await this.#restoreApplier(path, state, lent, options, report));
      throw rotationError(path, step, error, outcome);
    } finally {
      cell.slice?.free();
      lent.current?.free();
      lent.previous?.free();
    }

    // 5. Grace: the previous version stays readable until graceEndsAt.
    const graceMs = options.gracePeriodMs ?? state.policy?.gracePeriodMs ?? DAY;
    const graceEndsAt = new Date(this.#now() + graceMs);
    const kept = `version ${staged.version} is current (the rotation took effect) and was not rolled back;`;
    mark = performance.now();
    try {
      await report.event({ step: 'grace', outcome: graceMs > 0 ? 'ok' : 'skipped', version: base.version, graceEndsAt }, mark);
    } catch (error) {
      await report.failed('grace', mark, error, base.version);
      throw rotationError(path, 'grace', error, `${kept} the previous version ${base.version} is readable until ${graceEndsAt.toISOString()}.`);
    }
    // 6. Retire the version before the previous one now, and the previous one only without a grace period.
    mark = performance.now();
    let retired: string[];
    try {
      retired = await this.#backend.retireAfterPromote(path, state, graceMs === 0, io);
      await report.event({ step: 'retire', outcome: graceMs === 0 ? 'ok' : 'deferred', version: base.version, graceEndsAt }, mark);
    } catch (error) {
      await report.failed('retire', mark, error, base.version);
      throw rotationError(path, 'retire', error, `${kept} older versions were not all retired; retireExpired() or the next rotation retries.`);
    }
    return { path, version: staged.version, previousVersion: base.version, graceEndsAt, isResumed: adopted !== undefined, retired, steps: report.events };
  }

  /**
   * Lend the current value and, within the grace period after a rotation, the previous one, from locked memory,
   * for the duration of `fn` (e.g. to accept tokens signed with either key). Three reads: state, both values.
   */
  async useVersions<T>(path: string, fn: (views: VersionViews) => T | Promise<T>, options: UseVersionsOptions = {}): Promise<T> {
    const state = options.state?.path === path ? options.state : await this.#backend.inspect(path);
    if (!state.current) throw new SecretNotFoundError(`Secret "${path}" has no current version.`);
    const graceMs = options.gracePeriodMs ?? state.policy?.gracePeriodMs ?? DAY;
    const graceEndsAt = state.currentSince ? new Date(state.currentSince.getTime() + graceMs) : undefined;
    const previous = state.previous?.isReadable && graceEndsAt && this.#now() < graceEndsAt.getTime() ? state.previous : undefined;
    const [cur, old] = await Promise.allSettled([
      this.#backend.read(path, state.current.version, options.signal),
      previous ? this.#backend.read(path, previous.version, options.signal) : Promise.resolve(undefined),
    ]);
    const slices: LockedSlice[] = [];
    const lock = (f: FetchedSecret) => {
      try {
        const slice = this.#lockedArena().copyIn(f.value);
        slices.push(slice);
        return slice;
      } finally {
        f.value.fill(0);
      }
    };
    try {
      // A previous version retired meanwhile is simply not offered.
      const prevSlice = old.status === 'fulfilled' && old.value ? lock(old.value) : undefined;
      if (cur.status === 'rejected') throw cur.reason;
      const curSlice = lock(cur.value);
      const views: VersionViews = { current: { version: state.current.version, view: curSlice.lend() } };
      if (prevSlice && previous && graceEndsAt) views.previous = { version: previous.version, view: prevSlice.lend(), graceEndsAt };
      return await fn(views);
    } finally {
      for (const s of slices) s.free();
    }
  }

  /** Lend one version's value from locked memory for the duration of `fn`. */
  async readVersion<T>(path: string, version: string, fn: (view: Buffer, meta: { version: string; createdAt?: Date }) => T | Promise<T>): Promise<T> {
    const fetched = await this.#backend.read(path, version);
    let slice: LockedSlice;
    try {
      slice = this.#lockedArena().copyIn(fetched.value);
    } finally {
      fetched.value.fill(0);
    }
    try {
      return await fn(slice.lend(), { version: fetched.version, ...(fetched.createdAt ? { createdAt: fetched.createdAt } : {}) });
    } finally {
      slice.free();
    }
  }

  /**
   * Make an earlier version current again (default: the previous one). AWS moves AWSCURRENT back to it; Vault and
   * Azure write a copy of its value as a new version (as `vault kv rollback` does), staged, read back, promoted,
   * so every reader of the backend sees it. Reported as one `rollback` step event; a failure undoes what was
   * written and throws RotationError with step `rollback`.
   */
  async rollback(path: string, options: RollbackOptions = {}, hooks: RotationHooks = {}): Promise<RotationResult> {
    const report = new StepReporter(hooks);
    const io = this.#io(options);
    const mark = performance.now();
    const cell: { slice?: LockedSlice } = {};
    let staged: StagedVersion | undefined;
    let state: RotationState | undefined;
    let target: string | undefined;
    try {
      state = options.state?.path === path ? options.state : await this.#backend.inspect(path);
      ({ state } = await this.#settlePending(path, state, { ...options, onStale: 'rollback' }, io, report));
      target = options.version ?? state.previous?.version;
      if (target === undefined) throw new SecretNotFoundError(`Secret "${path}" has no previous version to roll back to; name a version.`);
      if (target === state.current!.version) throw new ConflictError(`Version ${target} of "${path}" is current already.`);
      const known = state.versions.find((v) => v.version === target) ?? (await this.#backend.listVersions(path)).find((v) => v.version === target);
      if (!known?.isReadable) throw new SecretNotFoundError(`Secret "${path}" has no readable version ${JSON.stringify(target.slice(0, 70))} to roll back to.`);
      const readBack = options.readBack ?? true;
      if (this.#backend.switchCurrent) {
        if (options.verify) {
          cell.slice = await this.#readLocked(path, target, options.signal);
          await this.#appVerify(path, target, cell.slice, options.verify, options);
        }
        checkAbort(options.signal, path);
        staged = { version: target, stagedAt: new Date(this.#now()), attempt: target };
        const switchCurrent = this.#backend.switchCurrent.bind(this.#backend);
        await this.#promote(path, staged, state, io, switchCurrent);
      } else {
        cell.slice = await this.#readLocked(path, target, options.signal);
        checkAbort(options.signal, path);
        staged = await this.#backend.stage(path, cell.slice.view, state, io);
        await this.#backend.confirm(path, staged, state, io);
        await this.#verify(path, staged, cell, { ...options, readBack });
        await this.#promote(path, staged, state, io);
      }
      await report.event({ step: 'rollback', outcome: 'ok', version: staged.version }, mark);
    } catch (error) {
      await report.failed('rollback', mark, error, staged?.version);
      let outcome = state?.current ? `version ${state.current.version} is still current.` : 'nothing was changed.';
      if (staged !== undefined && state !== undefined && staged.version !== target) outcome = await this.#undo(path, staged, state, io, report);
      else if (staged !== undefined && state !== undefined) outcome = await this.#undoSwitch(path, staged, state, io, report);
      throw rotationError(path, 'rollback', error, outcome);
    } finally {
      cell.slice?.free();
    }
    const graceMs = state.policy?.gracePeriodMs ?? DAY;
    return {
      path,
      version: staged.version,
      previousVersion: state.current!.version,
      graceEndsAt: new Date(this.#now() + graceMs),
      isResumed: false,
      retired: [],
      restoredFrom: target,
      steps: report.events,
    };
  }

  /** Step 6 after the grace period: retire the previous version once its grace period has ended. */
  async retireExpired(path: string, options: RetireOptions = {}, hooks: RotationHooks = {}): Promise<RetireResult> {
    const state = options.state?.path === path ? options.state : await this.#backend.inspect(path);
    const previous = state.previous;
    if (!previous || !state.currentSince) return { isRetired: false };
    const graceMs = options.gracePeriodMs ?? state.policy?.gracePeriodMs ?? DAY;
    const graceEndsAt = new Date(state.currentSince.getTime() + graceMs);
    if (this.#now() < graceEndsAt.getTime()) return { isRetired: false, version: previous.version, graceEndsAt };
    const report = new StepReporter(hooks);
    const mark = performance.now();
    try {
      await this.#backend.retire(path, state, this.#io(options));
      await report.event({ step: 'retire', outcome: 'ok', version: previous.version, graceEndsAt }, mark);
    } catch (error) {
      await report.failed('retire', mark, error, previous.version);
      throw rotationError(path, 'retire', error, `the previous version ${previous.version} stays readable; try again.`);
    }
    return { isRetired: true, version: previous.version, graceEndsAt };
  }

  // --- internals -------------------------------------------------------------------------------------------

  #io(options: { writeLimiter?: WriteLimiter; signal?: AbortSignal }): RotationIo {
    const { writeLimiter, signal } = options;
    return {
      beforeWrite: async () => {
        if (signal?.aborted) throw new RotationError('stage', 'The rotation was aborted by the caller before a write.');
        await writeLimiter?.acquire(signal);
      },
      now: this.#now,
      ...(signal ? { signal } : {}),
    };
  }

  #lockedArena(): SecureArena {
    this.#arena ??= new SecureArena();
    return this.#arena;
  }

  /** Step 0: no current version fails; a fresh pending version is a conflict; stale ones are rolled back or one is adopted. */
  async #settlePending(
    path: string,
    state: RotationState,
    options: { staleAfterMs?: number; onStale?: 'rollback' | 'resume' },
    io: RotationIo,
    report: StepReporter,
  ): Promise<{ state: RotationState; adopted?: RotationVersion; discarded: number }> {
    if (!state.current) throw new SecretNotFoundError(`Secret "${path}" has no current version: write a value before rotating it.`);
    if (state.pending.length === 0) return { state, discarded: 0 };
    const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_MS;
    const now = this.#now();
    const fresh = state.pending.find((p) => p.createdAt === undefined || now - p.createdAt.getTime() < staleAfterMs);
    if (fresh) {
      const age = fresh.createdAt ? `${Math.max(0, Math.round((now - fresh.createdAt.getTime()) / 1_000))} s ago` : 'at an unknown time';
      throw new ConflictError(
        `Another rotation of "${path}" is in progress: version ${fresh.version} was staged ${age}. Try again later ` +
          `(a pending version left by a crash counts as stale after ${Math.round(staleAfterMs / 1_000)} s and is then rolled back or resumed).`,
      );
    }
    const [newest, ...older] = state.pending as [RotationVersion, ...RotationVersion[]];
    const isResume = options.onStale === 'resume';
    const stale = isResume ? older : state.pending;
    for (const pending of stale) {
      const mark = performance.now();
      await this.#backend.discardStale(path, pending, state, io);
      await report.event({ step: 'rollback', outcome: 'ok', version: pending.version, reason: 'stale-pending' }, mark);
    }
    if (isResume) return { state, adopted: newest, discarded: stale.length };
    return { state: await this.#backend.inspect(path), discarded: stale.length };
  }

  async #generate(generator: RotationGenerator, context?: RotationGeneratorContext): Promise<LockedSlice> {
    const arena = this.#lockedArena();
    // The generator's code writes into these views and may keep them: they are lent (quarantined when freed).
    const out = await generator((length) => {
      const slice = arena.alloc(length);
      slice.lend();
      return slice;
    }, context);
    if (out instanceof Uint8Array) {
      try {
        if (out.length === 0) throw new RotationError('generate', 'The generator returned an empty value.');
        return arena.copyIn(out);
      } finally {
        out.fill(0);
      }
    }
    if (out.length === 0) {
      out.free();
      throw new RotationError('generate', 'The generator returned an empty value.');
    }
    return out;
  }

  /** Read the current value (and the previous one while readable) into locked memory for a rotation applier. */
  async #lendValues(path: string, state: RotationState, lent: { current?: LockedSlice; previous?: LockedSlice }, signal?: AbortSignal): Promise<void> {
    lent.current = await this.#readLocked(path, state.current!.version, signal);
    if (state.previous?.isReadable) {
      try {
        lent.previous = await this.#readLocked(path, state.previous.version, signal);
      } catch (error) {
        // A previous version retired meanwhile is simply not offered.
        if (!(error instanceof SecretNotFoundError)) throw error;
      }
    }
  }

  #change(path: string, state: RotationState, lent: { current?: LockedSlice; previous?: LockedSlice }): RotationChange {
    return {
      path,
      current: { version: state.current!.version, view: lent.current!.lend() },
      ...(lent.previous && state.previous ? { previous: { version: state.previous.version, view: lent.previous.lend() } } : {}),
    };
  }

  /** A target call bounded by `applierTimeoutMs`; what it throws is summarised (its message could quote a value). */
  async #callApplier(which: 'apply' | 'restore', options: RotateOptions, change: RotationChange): Promise<void> {
    const applier = options.applier!;
    const timeoutMs = options.applierTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    const controller = new AbortController();
    const signal = options.signal && which === 'apply' ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new RotationError(which, `The rotation applier's ${which} of "${change.path}" did not finish within ${timeoutMs} ms.`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    try {
      const call = which === 'apply' ? () => applier.apply(change as RotationChange & { candidate: NonNullable<RotationChange['candidate']> }, signal) : () => applier.restore(change, signal);
      await Promise.race([Promise.resolve().then(call), stop]);
    } catch (error) {
      if (isSecretsError(error)) throw error;
      const sqlState = (error as { code?: unknown } | null)?.code;
      const code = typeof sqlState === 'string' && /^[A-Z0-9_]{1,20}$/.test(sqlState) ? ` (code ${sqlState})` : '';
      throw new RotationError(which, `The rotation applier's ${which} of "${change.path}" threw ${nameOf(error)}${code} (its message is withheld: it could quote the value).`);
    } finally {
      clearTimeout(timer);
      stop.catch(() => undefined);
    }
  }

  /** After a failed rotation whose value was applied: put the target back on the current value. */
  async #restoreApplier(path: string, state: RotationState, lent: { current?: LockedSlice; previous?: LockedSlice }, options: RotateOptions, report: StepReporter): Promise<string> {
    const mark = performance.now();
    try {
      await this.#callApplier('restore', options, this.#change(path, state, lent));
      await report.safe({ step: 'rollback', outcome: 'ok', version: state.current!.version, reason: 'applier-restored' }, mark);
      return `The system was restored (applier) to version ${state.current!.version}.`;
    } catch (error) {
      await report.failed('rollback', mark, error, state.current!.version);
      return `Restoring the system (applier) failed too (${isSecretsError(error) ? error.code : 'E_UNEXPECTED'}): run the rotation again (it restores the system first) or restore it by hand.`;
    }
  }

  async #readLocked(path: string, version: string, signal?: AbortSignal): Promise<LockedSlice> {
    const fetched = await this.#backend.read(path, version, signal);
    try {
      return this.#lockedArena().copyIn(fetched.value);
    } finally {
      fetched.value.fill(0);
    }
  }

  /** Step 3: read back (digests compared in constant time, never the values), then the app's check. */
  async #verify(path: string, staged: StagedVersion, cell: { slice?: LockedSlice }, options: Pick<RotateOptions, 'readBack' | 'verify' | 'verifyTimeoutMs' | 'signal'>): Promise<void> {
    if (cell.slice === undefined || options.readBack !== false) {
      const fetched = await this.#backend.read(path, staged.version, options.signal);
      try {
        if (cell.slice === undefined) cell.slice = this.#lockedArena().copyIn(fetched.value);
        else if (!sameBytes(cell.slice.view, fetched.value)) {
          throw new RotationError('verify', `Version ${staged.version} of "${path}" read back differs from the value written (compared by keyed digest).`);
        }
      } finally {
        fetched.value.fill(0);
      }
    }
    if (options.verify) await this.#appVerify(path, staged.version, cell.slice, options.verify, options);
  }

  async #appVerify(path: string, version: string, slice: LockedSlice, verify: RotationVerifier, options: { verifyTimeoutMs?: number; signal?: AbortSignal }): Promise<void> {
    const timeoutMs = options.verifyTimeoutMs ?? DEFAULT_VERIFY_TIMEOUT_MS;
    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new RotationError('verify', `The verify check of "${path}" did not finish within ${timeoutMs} ms.`);
        controller.abort(error);
        reject(error);
      }, timeoutMs);
      const onAbort = () => reject(isSecretsError(signal.reason) ? signal.reason : new RotationError('verify', `The verify check of "${path}" was aborted.`));
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      const verdict = await Promise.race([Promise.resolve().then(() => verify({ path, version, view: slice.lend() }, signal)), stop]);
      if (verdict === false) throw new RotationError('verify', `The verify check rejected version ${version} of "${path}".`);
    } catch (error) {
      if (isSecretsError(error)) throw error;
      throw new RotationError('verify', `The verify check of "${path}" threw ${nameOf(error)} (its message is withheld: it could quote the value).`);
    } finally {
      clearTimeout(timer);
      stop.catch(() => undefined);
    }
  }

  /**
   * Step 4 (or a rollback's switch). An answer can be lost after the backend applied the change, and a
   * check-and-set refusal can mean another rotation won: on failure, read the state to tell which.
   */
  async #promote(
    path: string,
    staged: StagedVersion,
    state: RotationState,
    io: RotationIo,
    apply: (path: string, version: string, state: RotationState, io: RotationIo) => Promise<void> = (p, _v, s, i) => this.#backend.promote(p, staged, s, i),
  ): Promise<void> {
    try {
      await apply(path, staged.version, state, io);
    } catch (error) {
      let after: RotationState;
      try {
        after = await this.#backend.inspect(path);
      } catch {
        throw error;
      }
      if (after.current?.version === staged.version) return;
      if (after.current && after.current.version !== state.current?.version) {
        throw new ConflictError(`Another rotation of "${path}" made version ${after.current.version} current first.`, { cause: isSecretsError(error) ? error : undefined });
      }
      throw error;
    }
  }

  /** Roll back to the state before step 2; returns the sentence for the error message. */
  async #undo(path: string, staged: StagedVersion, before: RotationState, io: RotationIo, report: StepReporter): Promise<string> {
    const mark = performance.now();
    try {
      await this.#backend.undo(path, staged, before, io);
      await report.safe({ step: 'rollback', outcome: 'ok', version: staged.version }, mark);
    } catch (error) {
      await report.failed('rollback', mark, error, staged.version);
      return `the rollback failed too (${isSecretsError(error) ? error.code : 'E_UNEXPECTED'}): version ${staged.version} may be left pending; the next rotation discards it once it is stale.`;
    }
    return this.#restoreLatest(path, io, report, `rolled back: version ${staged.version} was discarded and version ${before.current?.version} is current.`);
  }

  /**
   * After an undo: make the backend's own "latest" version readable again with the current value, for readers
   * that know nothing of rotation (Vault and Azure write a copy; AWS needs nothing). Returns the outcome sentence.
   */
  async #restoreLatest(path: string, io: RotationIo, report: StepReporter, outcome: string): Promise<string> {
    if (!this.#backend.restoreLatest) return outcome;
    const mark = performance.now();
    try {
      const copy = await this.#backend.restoreLatest(path, io);
      if (copy === undefined) return outcome;
      await report.safe({ step: 'rollback', outcome: 'ok', version: copy, reason: 'latest-restored' }, mark);
      return `${outcome.replace(/ is (still )?current\.$/, '')}'s value is current, written again as the backend's latest version ${copy}.`;
    } catch (error) {
      await report.failed('rollback', mark, error);
      return `${outcome} Writing the current value again as the backend's latest version failed (${isSecretsError(error) ? error.code : 'E_UNEXPECTED'}): readers that take the latest version may get no value until the next rotation.`;
    }
  }

  /** A failed in-place rollback (AWS): make the version that was current before current again if the switch applied. */
  async #undoSwitch(path: string, staged: StagedVersion, before: RotationState, io: RotationIo, report: StepReporter): Promise<string> {
    const mark = performance.now();
    try {
      const now = await this.#backend.inspect(path);
      if (now.current?.version === staged.version && before.current && this.#backend.switchCurrent) {
        await this.#backend.switchCurrent(path, before.current.version, now, io);
        await report.safe({ step: 'rollback', outcome: 'ok', version: before.current.version, reason: 'undone' }, mark);
      }
      return `version ${before.current?.version} is current.`;
    } catch (error) {
      await report.failed('rollback', mark, error, staged.version);
      return `undoing it failed too (${isSecretsError(error) ? error.code : 'E_UNEXPECTED'}); check which version is current.`;
    }
  }
}

const DEFAULT_GENERATOR = randomBytesGenerator({ bytes: 32, encoding: 'base64' });

function checkAbort(signal: AbortSignal | undefined, path: string): void {
  if (signal?.aborted) throw new RotationError('stage', `Rotation of "${path}" was aborted by the caller.`);
}

/** Whether step 0 discarded a crashed rotation's pending version. */
function isDiscarded(report: StepReporter): boolean {
  return report.events.some((e) => e.step === 'rollback' && e.reason === 'stale-pending');
}

function nameOf(error: unknown): string {
  const name = (error as { name?: unknown } | null)?.name;
  return typeof name === 'string' && /^[A-Za-z0-9_$.]{1,60}$/.test(name) ? name : typeof error;
}
