import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import { SecretsError } from '../errors/SecretsError';
import type { ValidationProblem } from '../errors/ValidationError';
import { getLogger } from '../log/createLogger';
import { logWithNames } from '../log/summariseNames';
import type { ProviderClient } from '../providers/Provider';
import { ProviderRegistry } from '../providers/ProviderRegistry';
import type { SecretsRuntime } from '../runtime/SecretsRuntime';
import { displayUri, sourceLabels, type SourceSpec } from '../sources/SourceSpec';
import { carryOver } from '../store/carryOver';
import type { RawValue } from '../store/RawValue';
import { deriveValues, type SecretSplit } from './deriveValues';

type ProviderSpec = SourceSpec & { kind: 'provider' };

/** Outcome of one poll. `failed`: some source could not answer (its last good values stay). */
export type PollOutcome = 'unchanged' | 'rotated' | 'rejected' | 'failed';

/** Options of {@link ProviderPoller}. */
export interface ProviderPollerOptions {
  intervalMs: number;
  registry?: ProviderRegistry;
  env?: NodeJS.ProcessEnv;
  /** Concurrent metadata checks per source. Default 8. */
  concurrency?: number;
  /** Secrets read from another provider object or a JSON field of one. */
  splits?: ReadonlyMap<string, SecretSplit>;
  /** Every this many polls, compare contents instead of version ids. Default 12. */
  fullCheckEvery?: number;
}

/**
 * Refresh for provider sources, which have no file events: poll on a jittered interval and feed changes through
 * the runtime's validate-and-swap, like a mount change.
 *
 * Poll algorithm (numbers match `pollOnce`):
 * 1. For each provider source, ask the cheap question first: the current version id of each provider object it
 *    served (metadata only; no value crosses the wire unless it changed). Secrets split from one JSON object
 *    share one check.
 * 2. Nothing changed anywhere -> done.
 * 3. Fetch only the changed names (batched where the backend allows).
 * 4. Build a whole candidate: fetched values, plus copies of every other current value (other sources' names
 *    are refreshed by their own watchers).
 * 5. Hand it to the runtime: validate, swap atomically, emit `rotated` (or `rejected`; last good stays).
 * A source that cannot answer (network, throttling, 5xx, sealed; for the whole call or for one secret) is
 * unavailable, never invalid: a warning is logged, its last good values stay, and `degraded` is emitted with the
 * sources affected; `recovered` follows once its primary answers again. A source with a failover is read from
 * its failover while the primary is unavailable (still `degraded`, but its values stay fresh).
 *
 * Schedule: the first poll comes at a uniformly random point of the first interval (a fleet started at once
 * spreads its polls over the interval instead of polling together), then every interval ±10%, measured from
 * the start of the previous poll (a slow poll does not stretch the period).
 */
export class ProviderPoller {
  readonly #runtime: SecretsRuntime;
  readonly #specs: ProviderSpec[];
  readonly #options: ProviderPollerOptions;
  readonly #registry: ProviderRegistry;
  readonly #clients = new Map<string, ProviderClient>();
  #timer: NodeJS.Timeout | undefined;
  #isClosed = false;
  #polls = 0;
  /** After a failed poll the backend may have changed arbitrarily (restored, recreated): compare contents. */
  #needsFull = false;
  #running: Promise<PollOutcome> | undefined;
  /** Source label -> why it is degraded (its primary did not answer). */
  readonly #degraded = new Map<string, string>();

  constructor(runtime: SecretsRuntime, specs: readonly SourceSpec[], options: ProviderPollerOptions) {
    this.#runtime = runtime;
    this.#specs = specs.filter((s): s is ProviderSpec => s.kind === 'provider');
    this.#options = options;
    this.#registry = options.registry ?? ProviderRegistry.withBuiltins();
  }

  get hasSources(): boolean {
    return this.#specs.length > 0;
  }

  start(): void {
    if (!this.hasSources || this.#isClosed || this.#timer) return;
    this.#schedule(this.#options.intervalMs * Math.random());
  }

  /** Source labels currently degraded (their primary does not answer). */
  get degradedSources(): string[] {
    return [...this.#degraded.keys()];
  }

  #schedule(delayMs: number): void {
    if (this.#isClosed) return;
    this.#timer = setTimeout(() => {
      const began = Date.now();
      void this.pollOnce().finally(() => {
        const period = this.#options.intervalMs * (0.9 + Math.random() * 0.2);
        this.#schedule(Math.max(0, period - (Date.now() - began)));
      });
    }, delayMs);
    this.#timer.unref();
  }

  /** Poll now (coalesced: a poll in flight is shared). */
  pollOnce(): Promise<PollOutcome> {
    this.#running ??= this.#poll().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #client(uri: URL): Promise<ProviderClient> {
    const key = uri.href;
    let c = this.#clients.get(key);
    if (!c) {
      c = await this.#registry.create(uri, { env: this.#options.env ?? process.env });
      this.#clients.set(key, c);
    }
    return c;
  }

  async #poll(): Promise<PollOutcome> {
    const snap = this.#runtime.snapshot;
    if (!snap || this.#isClosed) return 'unchanged';
    const log = getLogger();
    const fetched = new Map<string, RawValue>();
    const problems: ValidationProblem[] = [];
    const removed = new Set<string>();
    let hasFailure = false;
    let isThrottledOnly = true;
    const failing = new Map<string, string>();
    const stale: string[] = [];
    // 1b. Version ids alone can repeat (a secret deleted and recreated, a restored backend): every
    //     `fullCheckEvery` polls, and after a failure, fetch everything and let the digests decide.
    const isFull = this.#needsFull || ++this.#polls % (this.#options.fullCheckEvery ?? 12) === 0;
    for (const spec of this.#specs) {
      const labels = new Set(sourceLabels(spec));
      // Names served by this source, grouped by the provider object they come from (`from` / `jsonKey`).
      const byObject = new Map<string, string[]>();
      for (const [name, v] of snap.values) {
        if (!labels.has(v.source)) continue;
        const object = v.origin ?? name;
        byObject.set(object, [...(byObject.get(object) ?? []), name]);
      }
      if (byObject.size === 0) continue;
      const candidates = spec.failover ? [spec.url, spec.failover.url] : [spec.url];
      let done = false;
      for (const url of candidates) {
        try {
          const client = await this.#client(url);
          // 1.
          const changed: string[] = isFull ? [...byObject.keys()] : [];
          await forEachLimit(isFull ? [] : [...byObject.keys()], this.#options.concurrency ?? 8, async (object) => {
            const names = byObject.get(object)!;
            try {
              const version = await client.currentVersion(object);
              if (version !== snap.values.get(names[0]!)?.version) changed.push(object);
            } catch (error) {
              if (SecretsError.is(error) && error.code === 'E_NOT_FOUND') changed.push(object);
              else throw error;
            }
          });
          if (changed.length > 0) {
            // 3.
            const result = await client.getMany(changed);
            // A secret the backend could not answer (throttled, 5xx, sealed) makes the source unavailable for this
            // poll: nothing of it is applied, and its failover (if any) is asked instead.
            const unavailable = [...result.errors.values()].find((e) => e.code === ProviderUnavailableError.code);
            if (unavailable) {
              for (const secret of result.found.values()) secret.value.fill(0);
              throw unavailable;
            }
            const raw = new Map<string, RawValue>();
            for (const [object, secret] of result.found) {
              raw.set(object, { slice: this.#runtime.arena.copyIn(secret.value), version: secret.version, source: displayUri(url) });
              secret.value.fill(0);
            }
            const objectProblems: ValidationProblem[] = [];
            for (const [object, error] of result.errors) {
              if (error.code === 'E_NOT_FOUND') for (const n of byObject.get(object) ?? []) removed.add(n);
              else objectProblems.push({ name: object, reason: `${displayUri(url)}: ${error.message}` });
            }
            const wanted = changed.flatMap((o) => byObject.get(o) ?? []);
            const splits = new Map(wanted.map((n) => [n, this.#options.splits?.get(n) ?? {}]));
            const derived = deriveValues(wanted, splits, raw, objectProblems, this.#runtime.arena);
            for (const [n, v] of derived.values) fetched.set(n, v);
            problems.push(...derived.problems);
          }
          done = true;
          break;
        } catch (error) {
          const code = SecretsError.is(error) ? error.code : 'E_INTERNAL';
          const message = SecretsError.is(error) ? error.message : 'unexpected error';
          log.warn({ code, source: displayUri(url), err: message }, 'provider refresh failed; the last good secrets stay in force');
          if (url === spec.url) failing.set(spec.uri, message);
          if (!ProviderUnavailableError.isThrottling(error)) isThrottledOnly = false;
          if (code !== 'E_PROVIDER_UNAVAILABLE') break;
        }
      }
      if (!done) {
        hasFailure = true;
        stale.push(...[...byObject.values()].flat());
      }
    }
    // After a failure the backend may have been restored or recreated: compare contents next time. Not after
    // throttling alone, which changes nothing on the backend (and a full read would only add to the load).
    this.#needsFull = hasFailure && !isThrottledOnly;
    this.#report(failing, stale);
    // 2.
    if (fetched.size === 0 && problems.length === 0 && removed.size === 0) return hasFailure ? 'failed' : 'unchanged';
    // 4.
    const candidate = new Map<string, RawValue>();
    for (const [name, v] of snap.values) {
      if (fetched.has(name) || removed.has(name)) continue;
      candidate.set(name, carryOver(this.#runtime.arena, v));
    }
    for (const [name, v] of fetched) candidate.set(name, v);
    // 5.
    const outcome = this.#runtime.apply(candidate, problems);
    if (outcome.kind === 'rotated') logWithNames(log, 'info', 'names', outcome.names, { reason: 'provider refresh' }, 'secrets rotated');
    if (outcome.kind === 'rejected') {
      if (!outcome.isRepeat) logWithNames(log, 'error', 'problems', outcome.problems, { reason: 'provider refresh' }, 'rotation rejected; the last good secrets stay in force');
      return 'rejected';
    }
    return outcome.kind === 'rotated' ? 'rotated' : 'unchanged';
  }

  /** Emit `degraded` for sources that stopped answering, `recovered` for those that answer again. */
  #report(failing: ReadonlyMap<string, string>, stale: readonly string[]): void {
    const recovered = [...this.#degraded.keys()].filter((s) => !failing.has(s));
    const fresh = [...failing.keys()].filter((s) => !this.#degraded.has(s));
    for (const s of recovered) this.#degraded.delete(s);
    for (const [s, reason] of failing) this.#degraded.set(s, reason);
    if (fresh.length > 0) {
      const reason = fresh.map((s) => `${s}: ${failing.get(s)}`).join('; ');
      this.#runtime.emit('degraded', { sources: fresh, names: [...new Set(stale)].sort(), reason });
    }
    if (recovered.length > 0) {
      getLogger().info({ sources: recovered }, 'provider source answers again');
      this.#runtime.emit('recovered', { from: 'unavailable', sources: recovered, names: [] });
    }
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    if (this.#timer) clearTimeout(this.#timer);
    await this.#running?.catch(() => undefined);
    await Promise.all([...this.#clients.values()].map((c) => c.close().catch(() => undefined)));
    this.#clients.clear();
  }
}

async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  });
  await Promise.all(workers);
}
