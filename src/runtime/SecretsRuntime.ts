import { EventEmitter } from 'node:events';
import { NotLoadedError } from '../errors/NotLoadedError';
import { UnknownSecretError } from '../errors/UnknownSecretError';
import { ValidationError, type ValidationProblem } from '../errors/ValidationError';
import { KeyedDigest } from '../memory/KeyedDigest';
import { SecureArena, type LockedSlice, type SecureArenaOptions } from '../memory/SecureArena';
import type { SettingsModel } from '../config/SettingsModel';
import type { SchemaValidator } from '../schema/SchemaValidator';
import type { RawValue } from '../store/RawValue';
import { releaseValues } from '../store/releaseValues';
import { Snapshot, type StoredSecret } from '../store/Snapshot';

/** Payload of the `rotated` event. */
export interface RotatedEvent {
  names: string[];
  versions: Record<string, string>;
  snapshotId: number;
}

/** Payload of the `rejected` event. */
export interface RejectedEvent {
  names: string[];
  reason: string;
  problems: ValidationProblem[];
}

/**
 * Payload of the `degraded` event: provider sources that stopped answering (network, throttling, 5xx, sealed).
 * The last good values stay in force; `names` are the secrets that can no longer be refreshed (empty when a
 * failover serves them).
 */
export interface DegradedEvent {
  sources: string[];
  names: string[];
  reason: string;
}

/**
 * Payload of the `recovered` event: a degraded source answers again (`from: 'unavailable'`), or a good snapshot
 * followed a rejected one (`from: 'rejected'`, `names` were the rejected secrets), so an alert can clear.
 */
export interface RecoveredEvent {
  from: 'unavailable' | 'rejected';
  sources: string[];
  names: string[];
}

/** What an orchestrator can read (readiness probe, metrics): never a value. */
export interface RuntimeState {
  /**
   * `loaded`: the last read gave a valid snapshot (or nothing new). `degraded`: a source could not answer; the
   * last good values stay. `rejected`: the last candidate failed validation; the last good values stay.
   */
  status: 'loaded' | 'degraded' | 'rejected';
  /** When the status last changed. */
  since: Date;
  /** When the values (or settings) last changed: the load, then every rotation. */
  lastChange: Date | undefined;
  /** Id of the snapshot in force. */
  snapshotId: number | undefined;
  /** Why it is degraded or rejected (names and reasons, never values). */
  reason?: string;
}

/** What `reload()` resolves with. */
export interface ReloadResult {
  /** Names whose value or setting changed. */
  names: string[];
  state: RuntimeState;
}

/** Outcome of offering a candidate snapshot. */
export type ApplyOutcome = { kind: 'unchanged' } | { kind: 'rotated'; names: string[] } | { kind: 'rejected'; problems: ValidationProblem[]; isRepeat?: boolean } | { kind: 'loaded' };

/**
 * Holds the current snapshot in locked memory and swaps in new ones. The one place where values live.
 *
 * Swap algorithm (numbers match `apply`):
 * 1. The candidate's values are already in locked memory (sources read straight into the arena).
 * 2. Any read problem (unsafe file, too large) rejects the candidate.
 * 3. Validate the whole candidate against the schema; any problem rejects it.
 * 4. Compare keyed digests with the current snapshot: identical bytes for every name -> nothing happens
 *    (a rewrite with the same content is not a rotation).
 * 5. Swap: one reference assignment, so readers see the old or the new snapshot, never a mix.
 * 6. Keep a copy of each replaced value for `graceMs` when its source keeps no previous version (zeroed when the
 *    grace ends), release the old snapshot (every value zeroed) and emit `rotated` with the changed names.
 * A rejected candidate is released (zeroed) and the last good snapshot stays; `rejected` is emitted.
 */
export class SecretsRuntime extends EventEmitter {
  readonly arena: SecureArena;
  readonly digest: KeyedDigest;
  readonly validator: SchemaValidator;
  /** The schema's settings (non-secret properties), resolved into every snapshot; none when not given. */
  readonly settingsModel: SettingsModel | undefined;
  #snapshot: Snapshot | undefined;
  /** The settings overrides (installSecrets) the current snapshot was built with. */
  #overridesSeen = 0;
  /** True once every mount is watched (see the `watching` event). */
  isWatching = false;
  /** Digest key of the last rejected candidate: the same bad content is reported once, not on every event. */
  #lastRejected: string | undefined;
  /** Names of the last rejected candidate, until a good one is applied (then `recovered` is emitted). */
  #rejectedNames: string[] | undefined;
  /**
   * How long the value a hot-swap replaced stays readable as `previous` (ms; 0 = not kept), for sources that
   * keep no previous version themselves (plain Kubernetes Secrets, CSI mounts without version history).
   */
  graceMs = 0;
  /** Replaced values within their grace period, in locked memory, zeroed when it ends. */
  readonly #grace = new Map<string, { slice: LockedSlice; timer: NodeJS.Timeout }>();
  #state: RuntimeState = { status: 'loaded', since: new Date(), lastChange: undefined, snapshotId: undefined };
  /** Re-reads every source now (installed by the preload once refreshing runs). */
  reloader: (() => Promise<void>) | undefined;

  constructor(validator: SchemaValidator, arenaOptions: SecureArenaOptions & { digestKey?: Uint8Array } = {}, settingsModel?: SettingsModel) {
    super();
    this.validator = validator;
    this.settingsModel = settingsModel;
    const { digestKey, ...rest } = arenaOptions;
    this.arena = new SecureArena(rest);
    this.digest = new KeyedDigest(digestKey);
    // The state follows the poller's availability events (unavailable is never invalid).
    this.on('degraded', (e: DegradedEvent) => this.setStatus('degraded', e.reason));
    this.on('recovered', (e: RecoveredEvent) => {
      if (e.from === 'unavailable' && this.#state.status === 'degraded') this.setStatus('loaded');
    });
  }

  /** The state an orchestrator reads (a copy). */
  get state(): RuntimeState {
    return { ...this.#state };
  }

  /** Record a status (`degraded` from sources that cannot answer; the others from `apply`). */
  setStatus(status: RuntimeState['status'], reason?: string): void {
    if (status !== this.#state.status || reason !== this.#state.reason) {
      this.#state = { ...this.#state, status, since: new Date(), ...(reason !== undefined ? { reason } : {}) };
      if (reason === undefined) delete this.#state.reason;
    }
  }

  #changed(): void {
    this.#state = { ...this.#state, lastChange: new Date(), snapshotId: this.#snapshot?.id };
  }

  /** The previous value of a name: the source's own (versioned mounts), else the one kept for the grace period. */
  previousOf(name: string): LockedSlice | undefined {
    return this.entry(name).previous ?? this.#grace.get(name)?.slice;
  }

  /** Keep a copy of a replaced value for `graceMs`, then zero it. A newer replacement ends the older grace. */
  #keepPrevious(name: string, view: Uint8Array): void {
    this.#endGrace(name);
    const slice = this.arena.copyIn(view);
    slice.lend(); // lent by useVersions from now on, like the values of a current snapshot
    const timer = setTimeout(() => this.#endGrace(name), this.graceMs);
    timer.unref();
    this.#grace.set(name, { slice, timer });
  }

  #endGrace(name: string): void {
    const kept = this.#grace.get(name);
    if (!kept) return;
    clearTimeout(kept.timer);
    kept.slice.free();
    this.#grace.delete(name);
    this.emit('grace-ended', { name });
  }

  get snapshot(): Snapshot | undefined {
    return this.#snapshot;
  }

  /** Every name the sources are asked for: the secrets and the settings (a nested one by its dotted path). */
  get sourceNames(): string[] {
    return [...new Set([...this.validator.names, ...(this.settingsModel?.paths ?? [])])];
  }

  /** Build a snapshot from validated raw values (takes ownership of the slices). */
  #build(values: ReadonlyMap<string, RawValue>, settings: Readonly<Record<string, unknown>> | undefined): Snapshot {
    const stored = new Map<string, StoredSecret>();
    for (const [name, raw] of values) {
      const digest = this.digest.of(raw.slice.view);
      stored.set(name, { slice: raw.slice, digest, version: raw.version ?? `d:${digest.slice(0, 16)}`, source: raw.source, ...(raw.origin ? { origin: raw.origin } : {}), ...(raw.previous ? { previous: raw.previous } : {}) });
    }
    return new Snapshot(stored, settings);
  }

  /**
   * Offer a candidate. At start (no snapshot yet) a problem throws ValidationError; later it emits `rejected`.
   * Takes ownership of every slice in `values` (stored or zeroed).
   */
  apply(values: Map<string, RawValue>, readProblems: readonly ValidationProblem[] = []): ApplyOutcome {
    const release = () => releaseValues(values.values());
    // 4. first when nothing failed to read: the same bytes under the same names were validated when the current
    //    snapshot was (validation runs once per snapshot, not on every re-read such as the watcher's first).
    const current = this.#snapshot;
    const overrides = this.settingsModel?.overridesGeneration ?? 0;
    if (current && readProblems.length === 0 && overrides === this.#overridesSeen && this.#isSameContent(current, values)) {
      // Settings are a function of the same texts (and of the environment read once at start): carried over.
      const outcome = this.#unchanged(current, values);
      this.setStatus('loaded');
      this.#recovered();
      return outcome;
    }
    // 2. and 3.
    const problems = [...readProblems];
    const failed = new Set(problems.map((p) => p.name));
    const views = new Map<string, Uint8Array>();
    for (const [name, v] of values) views.set(name, v.slice.view);
    // Settings are validated with the secrets, as one snapshot. A value a source gave is judged by the validator
    // (flat properties); one from a setting's environment variable, or a nested setting, by the settings model.
    const resolved = this.settingsModel?.resolve(views);
    const servedByEnv = this.settingsModel?.servedByEnv(views) ?? new Set<string>();
    for (const p of this.validator.validate(views)) if (!failed.has(p.name) && !servedByEnv.has(p.name)) problems.push(p);
    const reported = new Set(problems.map((p) => p.name));
    for (const p of resolved?.problems ?? []) if (!reported.has(p.name)) problems.push(p);
    if (problems.length > 0) {
      const key = this.#candidateKey(values, problems);
      release();
      if (!this.#snapshot) throw new ValidationError(problems);
      this.setStatus('rejected', problems.map((p) => `${p.name}: ${p.reason}`).join('; '));
      if (key === this.#lastRejected) return { kind: 'rejected', problems, isRepeat: true };
      this.#lastRejected = key;
      const event: RejectedEvent = { names: [...new Set(problems.map((p) => p.name))].sort(), reason: problems.map((p) => `${p.name}: ${p.reason}`).join('; '), problems };
      this.#rejectedNames = event.names;
      this.emit('rejected', event);
      return { kind: 'rejected', problems };
    }
    this.#lastRejected = undefined;
    this.setStatus('loaded');
    const outcome = this.#swap(values, resolved?.settings);
    this.#recovered();
    return outcome;
  }

  /** After a valid candidate: `recovered` when the one before was rejected. */
  #recovered(): void {
    if (this.#rejectedNames) {
      // After the swap, so a listener reading values sees the good snapshot.
      const event: RecoveredEvent = { from: 'rejected', sources: [], names: this.#rejectedNames };
      this.#rejectedNames = undefined;
      this.emit('recovered', event);
    }
  }

  /** Steps 4-6 of `apply`, for a candidate that passed validation. */
  #swap(values: Map<string, RawValue>, settings: Readonly<Record<string, unknown>> | undefined): ApplyOutcome {
    const next = this.#build(values, settings);
    const current = this.#snapshot;
    if (!current) {
      this.#install(next);
      this.#changed();
      return { kind: 'loaded' };
    }
    // 4.
    const changedSettings = this.settingsModel?.changedPaths(current.settings, next.settings) ?? [];
    const changed = [...new Set([...current.changedNames(next), ...changedSettings])].sort();
    if (changed.length === 0) {
      // Same bytes. If a backend gave them a new version id (an identical write), adopt the ids quietly so the
      // next cheap version check does not see a change again; this is no rotation and emits nothing.
      const hasNewIds = [...next.values].some(([n, v]) => current.values.get(n)?.version !== v.version);
      if (hasNewIds) {
        this.#install(next);
        current.release();
      } else next.release();
      return { kind: 'unchanged' };
    }
    // 5.
    this.#install(next);
    this.#changed();
    // 6. A replaced value without a source-kept previous version stays readable for the grace period.
    if (this.graceMs > 0) {
      for (const name of changed) {
        const old = current.values.get(name);
        const now = next.values.get(name);
        if (old && now && !now.previous) this.#keepPrevious(name, old.slice.view);
      }
    }
    current.release();
    const versions: Record<string, string> = {};
    for (const name of changed) {
      const v = next.values.get(name);
      if (v) versions[name] = v.version;
    }
    const event: RotatedEvent = { names: changed, versions, snapshotId: next.id };
    this.emit('rotated', event);
    return { kind: 'rotated', names: changed };
  }

  /**
   * Make `next` current. Its values are lent by `secrets.use` from now on: mark them lent here, once (a candidate
   * that never becomes current is freed without quarantine), so the hot path only reads `slice.view`.
   */
  #install(next: Snapshot): void {
    this.#overridesSeen = this.settingsModel?.overridesGeneration ?? 0;
    for (const v of next.values.values()) {
      v.slice.lend();
      v.previous?.lend();
    }
    this.#snapshot = next;
  }

  /** Whether a candidate holds exactly the current names with the current bytes (compared by keyed digest). */
  #isSameContent(current: Snapshot, values: ReadonlyMap<string, RawValue>): boolean {
    if (values.size !== current.values.size) return false;
    for (const [name, raw] of values) {
      const stored = current.values.get(name);
      if (!stored || stored.digest !== this.digest.of(raw.slice.view)) return false;
    }
    return true;
  }

  /**
   * Same bytes. If a backend gave them a new version id (an identical write), adopt the ids quietly so the next
   * cheap version check does not see a change again; this is no rotation and emits nothing.
   */
  #unchanged(current: Snapshot, values: Map<string, RawValue>): ApplyOutcome {
    this.#lastRejected = undefined;
    const hasNewIds = [...values].some(([n, v]) => {
      const stored = current.values.get(n)!;
      return stored.version !== (v.version ?? `d:${stored.digest.slice(0, 16)}`);
    });
    if (hasNewIds) {
      this.#install(this.#build(values, current.settings));
      current.release();
    } else releaseValues(values.values());
    return { kind: 'unchanged' };
  }

  #candidateKey(values: ReadonlyMap<string, RawValue>, problems: readonly ValidationProblem[]): string {
    const parts = [...values].map(([n, v]) => `${n}=${this.digest.of(v.slice.view)}`).sort();
    return parts.join(',') + '|' + problems.map((p) => `${p.name}:${p.reason}`).join(',');
  }

  /** The stored value of a name in the current snapshot. */
  entry(name: string): StoredSecret {
    const snap = this.#snapshot;
    if (!snap) throw new NotLoadedError('Secrets are not loaded yet. Start node with -r @valuecanvas/secrets/register (see the README).');
    const v = snap.values.get(name);
    if (!v) throw new UnknownSecretError(`Secret ${String(name).slice(0, 128)} is not in the schema or has no value (it is optional and no source provides it).`);
    return v;
  }

  /** Zero every value and key (exit). */
  zeroAll(): void {
    for (const name of [...this.#grace.keys()]) this.#endGrace(name);
    this.arena.zeroAll();
    this.digest.zero();
  }
}
