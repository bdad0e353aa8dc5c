import { SecretsError } from '../errors/SecretsError';
import type { ValidationProblem } from '../errors/ValidationError';
import { getLogger } from '../log/createLogger';
import type { ProviderClient } from '../providers/Provider';
import { ProviderRegistry } from '../providers/ProviderRegistry';
import type { SecretsRuntime } from '../runtime/SecretsRuntime';
import { displayUri, sourceLabels, type SourceSpec } from '../sources/SourceSpec';
import { carryOver } from '../store/carryOver';
import type { RawValue } from '../store/RawValue';
import { deriveValues, type SecretSplit } from './deriveValues';

type ProviderSpec = SourceSpec & { kind: 'provider' };

/** Outcome of one poll. */
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
 * A source that fails is logged and skipped: the last good values stay. A source with a failover is read from
 * its failover while the primary is unavailable.
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
    if (!this.hasSources || this.#isClosed) return;
    const jitter = this.#options.intervalMs * (0.9 + Math.random() * 0.2);
    this.#timer = setTimeout(() => {
      void this.pollOnce().finally(() => this.start());
    }, jitter);
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
          log.warn({ code, source: displayUri(url), err: SecretsError.is(error) ? error.message : 'unexpected error' }, 'provider refresh failed; the last good secrets stay in force');
          if (code !== 'E_PROVIDER_UNAVAILABLE') break;
        }
      }
      if (!done) hasFailure = true;
    }
    this.#needsFull = hasFailure;
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
    if (outcome.kind === 'rotated') log.info({ names: outcome.names, reason: 'provider refresh' }, 'secrets rotated');
    if (outcome.kind === 'rejected') {
      if (!outcome.isRepeat) log.error({ problems: outcome.problems, reason: 'provider refresh' }, 'rotation rejected; the last good secrets stay in force');
      return 'rejected';
    }
    return outcome.kind === 'rotated' ? 'rotated' : 'unchanged';
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
