import { ConfigError } from '../errors/ConfigError';
import { ProviderResponseError } from '../errors/ProviderResponseError';
import { SecretsError } from '../errors/SecretsError';
import { SecureArena, endLeaseWhenDone, type LockedSlice } from '../memory/SecureArena';
import type { FetchedSecret } from '../providers/Provider';
import { isRetryableByDefault } from '../providers/retry';
import { CacheClosedError } from './CacheClosedError';
import { CACHE_MISS, type CacheMiss } from './cacheMiss';
import { CACHE_KEY_SEPARATOR } from './cacheKeySeparator';
import { checkKeyPart } from './checkKeyPart';
import { CoarseClock } from './CoarseClock';
import { parseCacheKey } from './parseCacheKey';

/** How a value was served: from a fresh entry, by a load, or from an expired entry while the backend fails. */
export type CacheStatus = 'hit' | 'miss' | 'stale';

/** What a reader learns besides the value. Never holds the value. Frozen; shared between readers. */
export interface CacheMeta {
  /** The backend's version id of the value lent. */
  readonly version: string;
  readonly cache: CacheStatus;
  /** When the value was fetched from the backend (ms since the epoch, by the cache's clock). */
  readonly fetchedAt: number;
}

/** The provider call behind a key, e.g. `() => client.get(path, { version })`. */
export type SecretLoader = () => Promise<FetchedSecret>;

/** Given to `onStale` each time a failing load is answered with an expired value. Never holds the value. */
export interface CacheStaleEvent {
  key: string;
  providerId: string;
  path: string;
  /** The version asked for (`''` = current). */
  version: string;
  /** The version id of the stale value that was served. */
  servedVersion: string;
  fetchedAt: number;
  expiredAt: number;
  /** How long past expiry the value was served (<= maxStaleMs). */
  staleForMs: number;
  maxStaleMs: number;
  /** Readers answered with the stale value by this load. */
  readers: number;
  /** Code of the loader's error (`E_PROVIDER_UNAVAILABLE`, or the error's name when it is not ours). */
  code: string;
  /** The loader's error (adapters sanitise theirs; it never holds the value). */
  error: unknown;
}

/** Counters of a cache. Readers are counted once per call; `loads` once per loader call. */
export interface CacheStats {
  /** Entries held (fresh or expired). */
  entries: number;
  /** Value bytes held in locked memory. */
  bytes: number;
  /** Reads served from a fresh entry. */
  hits: number;
  /** Reads that found no fresh entry (each waits for a load, its own or a shared one). */
  misses: number;
  /** Reads answered with an expired value because the load failed with an unavailable error. */
  stale: number;
  /** Misses that joined a load already in flight instead of calling the loader. */
  coalesced: number;
  /** Entries dropped to respect maxEntries / maxBytes (least recently used first). */
  evictions: number;
  /** Loader calls. */
  loads: number;
  /** Loader calls that failed (stale answers included). */
  loadErrors: number;
  /** Loads in flight now. */
  inflight: number;
}

/** Options of {@link SecretCache}. */
export interface SecretCacheOptions {
  /** Locked memory for the values; default a private arena. Share the process's arena to share its regions. */
  arena?: SecureArena;
  /** How long a value is served without asking the backend, ms. Default 300,000 (5 minutes). */
  ttlMs?: number;
  /** Most entries held; the least recently used goes first. Default 10,000. */
  maxEntries?: number;
  /** Most value bytes held; default no limit. A value larger than this is served to its readers, not kept. */
  maxBytes?: number;
  /**
   * How long past expiry a value may still be served while loads fail with an unavailable error, ms.
   * Default 0: never serve stale (fail closed at once).
   */
  maxStaleMs?: number;
  /**
   * Which load errors allow a stale answer. Default: ProviderUnavailableError only (network, timeout, 5xx,
   * throttling). Not-found, forbidden and auth errors must never qualify.
   */
  shouldServeStale?: (error: unknown) => boolean;
  /** Called once per load answered with a stale value (for a log line or a metric). Errors it throws are ignored. */
  onStale?: (event: CacheStaleEvent) => void;
  /** The clock, ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /**
   * How old the clock may be on the hit path, ms: expiry is checked against a time read at most once per window
   * (so an entry may be served up to this long after its expiry, never before), and LRU recency is recorded at
   * the same resolution (an entry moves to the most-recent end at most once per window). Default 10 with the
   * default clock, 0 (read every time, exact LRU) with an injected `now`.
   */
  clockResolutionMs?: number;
  /**
   * How often expired entries that can no longer be served (past expiry + maxStaleMs) are zeroed and dropped,
   * ms, by an unref'd timer. Default 60,000; 0 turns the timer off ({@link SecretCache.prune} still works).
   * Without it an expired value would stay in memory until its key is read again or LRU evicts it.
   */
  pruneIntervalMs?: number;
}

/** One cached value. A node of the LRU list (head = least recently used). */
interface Entry {
  readonly key: string;
  readonly slice: LockedSlice;
  readonly bytes: number;
  readonly version: string;
  readonly fetchedAt: number;
  readonly expiresAt: number;
  readonly hitMeta: CacheMeta;
  /** When the entry last moved to the LRU tail. */
  touchedAt: number;
  prev: Entry | null;
  next: Entry | null;
  /** Readers being served from this entry right now (a load's waiters); the bytes are freed when it drops to 0. */
  pins: number;
  isDetached: boolean;
}

/** A reader waiting for a load: `fn` for `use`, none for `get`. */
interface Waiter {
  fn: ((view: Buffer, meta: CacheMeta) => unknown) | undefined;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** One loader call in flight and the readers waiting for it. */
interface Flight {
  readonly key: string;
  readonly waiters: Waiter[];
}

const DEFAULT_TTL_MS = 5 * 60_000;
const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_CLOCK_RESOLUTION_MS = 10;
const DEFAULT_PRUNE_INTERVAL_MS = 60_000;

/**
 * The cache of on-demand secret reads (used by the multi-tenant SecretsService in front of provider calls).
 *
 * Values live in locked memory ({@link SecureArena}); readers borrow a view under a lease: it shows the value,
 * unchanged, until the callback returns, or until the promise it returns settles. A view kept after that reads
 * the value or zeros, never another value. Every value is zeroed when it is evicted, replaced,
 * invalidated, cleared, or the cache is closed. The loader's own buffer is zeroed as soon as it is copied in.
 *
 * A read (`use` / `get`):
 * 1. Hit: a fresh entry is lent synchronously, with no promise hop before `fn` runs (`useSync` is this step alone).
 * 2. Miss: join the load in flight for the key, or start one (exactly one loader call per key at a time).
 * 3. Load succeeded: copy the value into locked memory, zero the loader's buffer, store the entry (evicting least
 *    recently used entries past maxEntries / maxBytes, zeroing them), then call every waiter in the same
 *    synchronous run, so no eviction can come between the store and a waiter's view.
 * 4. Load failed with an error `shouldServeStale` accepts, and an expired entry is at most `maxStaleMs` past its
 *    expiry: every waiter is served that entry with `cache: 'stale'`, and `onStale` is called once.
 * 5. Any other failure: the expired entry is dropped (a not-found, forbidden or auth error, or a stale window
 *    that has run out, means the old value must not be served again) and every waiter gets the loader's error.
 *
 * `invalidate*` also detach loads in flight for the matched keys: their waiters still get the result, but it is
 * not stored, and new readers start a fresh load (a write or rotation is never hidden by an older read).
 *
 * @example
 * ```ts
 * const cache = new SecretCache({ ttlMs: 60_000, maxStaleMs: 600_000, onStale: (e) => log.warn({ code: e.code }, 'stale secret served') });
 * const key = cacheKey('aws://eu-west-1/app', `prod/tenants/${tenant}/DB_PASSWORD`);
 * const client = await cache.use(key, () => aws.get(`prod/tenants/${tenant}/DB_PASSWORD`), (view) => connect(view));
 * cache.invalidateSecret('aws://eu-west-1/app', `prod/tenants/${tenant}/DB_PASSWORD`); // after a write of it
 * ```
 */
export class SecretCache {
  readonly #arena: SecureArena;
  readonly #ttlMs: number;
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #maxStaleMs: number;
  readonly #shouldServeStale: (error: unknown) => boolean;
  readonly #onStale: ((event: CacheStaleEvent) => void) | undefined;
  readonly #clock: CoarseClock;
  readonly #recencyMs: number;
  readonly #entries = new Map<string, Entry>();
  readonly #inflight = new Map<string, Flight>();
  #head: Entry | null = null;
  #tail: Entry | null = null;
  #bytes = 0;
  #hits = 0;
  #misses = 0;
  #stale = 0;
  #coalesced = 0;
  #evictions = 0;
  #loads = 0;
  #loadErrors = 0;
  #isClosed = false;
  readonly #pruneTimer: NodeJS.Timeout | undefined;

  constructor(options: SecretCacheOptions = {}) {
    this.#ttlMs = positive(options.ttlMs, DEFAULT_TTL_MS, 'ttlMs', false);
    this.#maxEntries = positive(options.maxEntries, DEFAULT_MAX_ENTRIES, 'maxEntries', true);
    this.#maxBytes = positive(options.maxBytes, Infinity, 'maxBytes', true);
    this.#maxStaleMs = nonNegative(options.maxStaleMs, 0, 'maxStaleMs');
    if (options.shouldServeStale !== undefined && typeof options.shouldServeStale !== 'function') throw new ConfigError('SecretCache: shouldServeStale must be a function.');
    if (options.onStale !== undefined && typeof options.onStale !== 'function') throw new ConfigError('SecretCache: onStale must be a function.');
    if (options.now !== undefined && typeof options.now !== 'function') throw new ConfigError('SecretCache: now must be a function returning ms since the epoch.');
    this.#shouldServeStale = options.shouldServeStale ?? isRetryableByDefault;
    this.#onStale = options.onStale;
    const resolution = nonNegative(options.clockResolutionMs, options.now ? 0 : DEFAULT_CLOCK_RESOLUTION_MS, 'clockResolutionMs');
    this.#clock = new CoarseClock(options.now ?? Date.now, resolution);
    this.#recencyMs = resolution;
    this.#arena = options.arena ?? new SecureArena();
    const pruneIntervalMs = nonNegative(options.pruneIntervalMs, DEFAULT_PRUNE_INTERVAL_MS, 'pruneIntervalMs');
    if (pruneIntervalMs > 0) {
      // Through a WeakRef: the timer must not keep a cache that nobody closed alive for ever.
      const ref = new WeakRef(this);
      const timer = setInterval(() => {
        const cache = ref.deref();
        if (cache === undefined) clearInterval(timer);
        else cache.prune();
      }, pruneIntervalMs);
      timer.unref();
      this.#pruneTimer = timer;
    }
  }

  /**
   * Lend the cached value of `key` to `fn` if it is fresh (step 1), synchronously; {@link CACHE_MISS} otherwise
   * (absent or expired: call {@link use} or {@link get} to load it). Errors thrown by `fn` propagate.
   *
   * @example
   * ```ts
   * const sig = cache.useSync(key, (k) => hmac(k, body));
   * if (sig === CACHE_MISS) { ... }
   * ```
   */
  useSync<R>(key: string, fn: (view: Buffer, meta: CacheMeta) => R): R | CacheMiss {
    const e = this.#hit(key);
    if (e === undefined) {
      this.#misses++;
      return CACHE_MISS;
    }
    return lendTo(e.slice, e.hitMeta, fn);
  }

  /**
   * Lend the value of `key` to `fn`: from the cache when fresh (`fn` runs before `use` returns), else after a
   * load through `loader`, shared with every concurrent reader of the key. Resolves with what `fn` returns;
   * rejects with the loader's typed error (the same error object for every waiter), or what `fn` threw.
   * The view is leased until `fn` returns or the promise it returns settles (a drop meanwhile waits for that);
   * kept longer it reads this value or zeros. Do not write to it.
   *
   * @example
   * ```ts
   * const rows = await cache.use(key, () => client.get(path), (password, meta) => connect(password));
   * ```
   */
  use<R>(key: string, loader: SecretLoader, fn: (view: Buffer, meta: CacheMeta) => R): Promise<Awaited<R>> {
    const e = this.#hit(key);
    if (e !== undefined) {
      try {
        return Promise.resolve(lendTo(e.slice, e.hitMeta, fn)) as Promise<Awaited<R>>;
      } catch (error) {
        return Promise.reject(error);
      }
    }
    return this.#miss(key, loader, fn as Waiter['fn']) as Promise<Awaited<R>>;
  }

  /**
   * Make sure `key` is cached (loading it if needed) and return its metadata only: for callers that need the
   * version, or want to warm the cache.
   *
   * @example
   * ```ts
   * const { version, cache: how } = await cache.get(key, () => client.get(path));
   * ```
   */
  get(key: string, loader: SecretLoader): Promise<CacheMeta> {
    const e = this.#hit(key);
    if (e !== undefined) {
      return Promise.resolve(e.hitMeta);
    }
    return this.#miss(key, loader, undefined) as Promise<CacheMeta>;
  }

  /** Drop one entry (zeroing it) and detach its load in flight. Returns whether anything was dropped. */
  invalidate(key: string): boolean {
    const hadFlight = this.#inflight.delete(key);
    const e = this.#entries.get(key);
    if (e !== undefined) this.#drop(e);
    return hadFlight || e !== undefined;
  }

  /**
   * Drop every entry of `providerId` whose path starts with `pathPrefix` (every version of it), and detach their
   * loads in flight. A plain string prefix: `tenants/acme/DB` also matches `tenants/acme/DB_2`; end the prefix
   * with `/` for a folder, or use {@link invalidateSecret} for exactly one path. Returns the entries dropped.
   *
   * @example
   * ```ts
   * cache.invalidatePrefix(providerId, 'prod/tenants/acme/'); // everything of one tenant
   * ```
   */
  invalidatePrefix(providerId: string, pathPrefix: string): number {
    checkKeyPart(providerId, 'providerId', false);
    checkKeyPart(pathPrefix, 'pathPrefix', true);
    return this.#dropWhere(providerId + CACHE_KEY_SEPARATOR + pathPrefix);
  }

  /**
   * Drop every cached version of exactly one path (after a write, delete or rotation of it). Returns the entries
   * dropped.
   *
   * @example
   * ```ts
   * await client.put(path, value); cache.invalidateSecret(providerId, path);
   * ```
   */
  invalidateSecret(providerId: string, path: string): number {
    checkKeyPart(providerId, 'providerId', false);
    checkKeyPart(path, 'path', false);
    return this.#dropWhere(providerId + CACHE_KEY_SEPARATOR + path + CACHE_KEY_SEPARATOR);
  }

  /**
   * Zero and drop the entries that can no longer be served: expired for longer than maxStaleMs (expired at all
   * when maxStaleMs is 0). Runs every `pruneIntervalMs` by itself. Returns the entries dropped.
   *
   * @example
   * ```ts
   * cache.prune();
   * ```
   */
  prune(): number {
    const limit = this.#clock.exact() - this.#maxStaleMs;
    let dropped = 0;
    for (let e = this.#head; e !== null; ) {
      const next = e.next;
      // Entries still inside the stale window stay (maxStaleMs 0: an entry is servable until expiresAt only).
      if (e.expiresAt < limit || (this.#maxStaleMs === 0 && e.expiresAt <= limit)) {
        this.#drop(e);
        dropped++;
      }
      e = next;
    }
    return dropped;
  }

  /** Drop (and zero) every entry; detach every load in flight. Counters stay. */
  clear(): void {
    this.#inflight.clear();
    for (let e = this.#head; e !== null; ) {
      const next = e.next;
      this.#drop(e);
      e = next;
    }
  }

  /** Clear, and refuse every later read with {@link CacheClosedError}. Idempotent. */
  close(): void {
    this.#isClosed = true;
    this.clear();
    this.#clock.stop();
    if (this.#pruneTimer !== undefined) clearInterval(this.#pruneTimer);
  }

  get isClosed(): boolean {
    return this.#isClosed;
  }

  stats(): CacheStats {
    return {
      entries: this.#entries.size,
      bytes: this.#bytes,
      hits: this.#hits,
      misses: this.#misses,
      stale: this.#stale,
      coalesced: this.#coalesced,
      evictions: this.#evictions,
      loads: this.#loads,
      loadErrors: this.#loadErrors,
      inflight: this.#inflight.size,
    };
  }

  // 1. A fresh entry, counted and marked as used; undefined when absent or expired.
  #hit(key: string): Entry | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    const now = this.#clock.read();
    if (e.expiresAt <= now) return undefined;
    this.#hits++;
    // Moving a node costs four pointer stores (write barriers): record recency at the clock's resolution only.
    if (now - e.touchedAt >= this.#recencyMs && e !== this.#tail) {
      e.touchedAt = now;
      this.#touch(e);
    }
    return e;
  }

  // 2. Join or start the load of `key`.
  #miss(key: string, loader: SecretLoader, fn: Waiter['fn']): Promise<unknown> {
    if (this.#isClosed) return Promise.reject(new CacheClosedError());
    this.#misses++;
    let flight = this.#inflight.get(key);
    if (flight !== undefined) {
      this.#coalesced++;
    } else {
      if (parseCacheKey(key) === undefined) return Promise.reject(new TypeError('SecretCache: the key was not made by cacheKey(providerId, path, version).'));
      if (typeof loader !== 'function') return Promise.reject(new TypeError('SecretCache: loader must be a function returning a Promise<FetchedSecret>.'));
      flight = { key, waiters: [] };
      this.#inflight.set(key, flight);
      this.#start(flight, loader);
    }
    const waiters = flight.waiters;
    return new Promise((resolve, reject) => {
      waiters.push({ fn, resolve, reject });
    });
  }

  #start(flight: Flight, loader: SecretLoader): void {
    this.#loads++;
    // An entry past its stale window can never be served again: zero it now rather than after the load.
    const old = this.#entries.get(flight.key);
    if (old !== undefined && this.#clock.exact() - old.expiresAt > this.#maxStaleMs) this.#drop(old);
    let pending: Promise<FetchedSecret>;
    try {
      pending = Promise.resolve(loader());
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (fetched) => this.#loaded(flight, fetched),
      (error: unknown) => this.#failed(flight, error),
    );
  }

  // 3. The load succeeded.
  #loaded(flight: Flight, fetched: FetchedSecret): void {
    const isCurrent = this.#inflight.get(flight.key) === flight;
    if (isCurrent) this.#inflight.delete(flight.key);
    let slice: LockedSlice;
    const value: unknown = (fetched as Partial<FetchedSecret> | null | undefined)?.value;
    try {
      if (!(value instanceof Uint8Array) || typeof fetched.version !== 'string') {
        throw new ProviderResponseError('The secret loader returned no value buffer or no version id: it must resolve with a FetchedSecret ({ value: Buffer, version: string }).');
      }
      slice = this.#arena.copyIn(value);
    } catch (error) {
      return this.#failed(flight, error, isCurrent);
    } finally {
      if (value instanceof Uint8Array) value.fill(0);
    }
    if (this.#isClosed) {
      slice.free();
      return rejectAll(flight.waiters, new CacheClosedError());
    }
    const fetchedAt = this.#clock.exact();
    const meta: CacheMeta = Object.freeze({ version: fetched.version, cache: 'miss', fetchedAt });
    const isKept = isCurrent && slice.length <= this.#maxBytes;
    const entry = isKept ? this.#store(flight.key, slice, fetched.version, fetchedAt) : undefined;
    if (entry === undefined) {
      // An older value of the key must not outlive a newer one that could not be kept.
      const old = isCurrent ? this.#entries.get(flight.key) : undefined;
      if (old !== undefined) this.#drop(old);
      // Detached by an invalidation, or larger than maxBytes: serve the readers, keep nothing.
      try {
        serveAll(flight.waiters, slice, meta);
      } finally {
        slice.free();
      }
      return;
    }
    this.#serveFrom(entry, flight.waiters, meta);
  }

  // 4. and 5. The load failed.
  #failed(flight: Flight, error: unknown, isCurrent = this.#inflight.get(flight.key) === flight): void {
    if (isCurrent) this.#inflight.delete(flight.key);
    this.#loadErrors++;
    if (this.#isClosed) return rejectAll(flight.waiters, new CacheClosedError(undefined, { cause: error }));
    // Only the key's current load may use or drop its entry: a detached load's key was invalidated already.
    const old = isCurrent ? this.#entries.get(flight.key) : undefined;
    if (old !== undefined) {
      const now = this.#clock.exact();
      const staleForMs = Math.max(0, now - old.expiresAt);
      if (this.#maxStaleMs > 0 && staleForMs <= this.#maxStaleMs && this.#isStaleAllowed(error)) {
        this.#stale += flight.waiters.length;
        this.#notifyStale(old, flight, error, staleForMs);
        this.#serveFrom(old, flight.waiters, Object.freeze({ version: old.version, cache: 'stale', fetchedAt: old.fetchedAt }));
        return;
      }
      // 5.
      this.#drop(old);
    }
    rejectAll(flight.waiters, error);
  }

  #isStaleAllowed(error: unknown): boolean {
    try {
      return this.#shouldServeStale(error) === true;
    } catch {
      return false;
    }
  }

  #notifyStale(entry: Entry, flight: Flight, error: unknown, staleForMs: number): void {
    const onStale = this.#onStale;
    if (onStale === undefined) return;
    const parts = parseCacheKey(entry.key)!;
    const code = SecretsError.is(error) ? error.code : error instanceof Error ? error.name : typeof error;
    try {
      onStale({
        key: entry.key,
        providerId: parts.providerId,
        path: parts.path,
        version: parts.version,
        servedVersion: entry.version,
        fetchedAt: entry.fetchedAt,
        expiredAt: entry.expiresAt,
        staleForMs,
        maxStaleMs: this.#maxStaleMs,
        readers: flight.waiters.length,
        code,
        error,
      });
    } catch {
      // A logging hook must not change what readers get.
    }
  }

  /** Serve waiters from an entry, pinned so that a callback invalidating it cannot zero it under the next one. */
  #serveFrom(entry: Entry, waiters: Waiter[], meta: CacheMeta): void {
    entry.pins++;
    try {
      if (!entry.isDetached && entry !== this.#tail) {
        entry.touchedAt = this.#clock.exact();
        this.#touch(entry);
      }
      serveAll(waiters, entry.slice, meta);
    } finally {
      if (--entry.pins === 0 && entry.isDetached) entry.slice.free();
    }
  }

  /** Store a loaded value under `key`, replacing the old entry and evicting LRU entries past the limits. */
  #store(key: string, slice: LockedSlice, version: string, fetchedAt: number): Entry {
    const old = this.#entries.get(key);
    if (old !== undefined) this.#drop(old);
    // The new value is in its slice already, so the evicted blocks go back to the arena zeroed and stay zero.
    while (this.#head !== null && (this.#entries.size >= this.#maxEntries || this.#bytes + slice.length > this.#maxBytes)) {
      this.#evictions++;
      this.#drop(this.#head);
    }
    const entry: Entry = {
      key,
      slice,
      bytes: slice.length,
      version,
      fetchedAt,
      expiresAt: fetchedAt + this.#ttlMs,
      hitMeta: Object.freeze({ version, cache: 'hit', fetchedAt }),
      touchedAt: fetchedAt,
      prev: this.#tail,
      next: null,
      pins: 0,
      isDetached: false,
    };
    if (this.#tail !== null) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    this.#entries.set(key, entry);
    this.#bytes += entry.bytes;
    return entry;
  }

  /** Move an entry that is not the tail to the tail (most recently used). */
  #touch(e: Entry): void {
    const prev = e.prev;
    const next = e.next!;
    if (prev !== null) prev.next = next;
    else this.#head = next;
    next.prev = prev;
    e.prev = this.#tail;
    e.next = null;
    this.#tail!.next = e;
    this.#tail = e;
  }

  /** Unlink, forget and zero an entry (later, if readers are being served from it). */
  #drop(e: Entry): void {
    if (e.isDetached) return;
    e.isDetached = true;
    if (e.prev !== null) e.prev.next = e.next;
    else this.#head = e.next;
    if (e.next !== null) e.next.prev = e.prev;
    else this.#tail = e.prev;
    e.prev = e.next = null;
    this.#entries.delete(e.key);
    this.#bytes -= e.bytes;
    if (e.pins === 0) e.slice.free();
  }

  #dropWhere(prefix: string): number {
    for (const key of [...this.#inflight.keys()]) if (key.startsWith(prefix)) this.#inflight.delete(key);
    let dropped = 0;
    for (let e = this.#head; e !== null; ) {
      const next = e.next;
      if (e.key.startsWith(prefix)) {
        this.#drop(e);
        dropped++;
      }
      e = next;
    }
    return dropped;
  }
}

/**
 * Lend a slice's view to `fn` under a lease: unchanged until `fn` returns, or until the promise it returns
 * settles (a drop meanwhile zeroes and frees the block only then).
 */
function lendTo<R>(slice: LockedSlice, meta: CacheMeta, fn: (view: Buffer, meta: CacheMeta) => R): R {
  const view = slice.lease();
  let result: R;
  try {
    result = fn(view, meta);
  } catch (error) {
    slice.endLease();
    throw error;
  }
  return endLeaseWhenDone(result, slice);
}

/** Call every waiter with the view, in one synchronous run; one waiter's throw rejects only its own promise. */
function serveAll(waiters: readonly Waiter[], slice: LockedSlice, meta: CacheMeta): void {
  for (const w of waiters) {
    if (w.fn === undefined) {
      w.resolve(meta);
      continue;
    }
    let result: unknown;
    try {
      result = lendTo(slice, meta, w.fn);
    } catch (error) {
      w.reject(error);
      continue;
    }
    w.resolve(result);
  }
}

function rejectAll(waiters: readonly Waiter[], error: unknown): void {
  for (const w of waiters) w.reject(error);
}

function positive(value: number | undefined, fallback: number, name: string, isInteger: boolean): number {
  if (value === undefined) return fallback;
  const isValid = typeof value === 'number' && value > 0 && (isInteger ? Number.isInteger(value) || value === Infinity : !Number.isNaN(value));
  if (!isValid) throw new ConfigError(`SecretCache: ${name} must be a positive ${isInteger ? 'integer' : 'number'}.`);
  return value;
}

function nonNegative(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !(value >= 0) || value === Infinity) throw new ConfigError(`SecretCache: ${name} must be a finite number >= 0 (ms).`);
  return value;
}
