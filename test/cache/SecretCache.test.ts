// Behaviour of the secret cache with an injected clock and plain loaders (no backend): hits and misses, TTL,
// LRU and byte limits (evicted bytes zeroed), coalescing, error fan-out, stale-if-error, invalidation, memory
// accounting, and planted values kept out of errors, stats and hook payloads. The same behaviours against the
// real AWS and Vault peers are in SecretCache.aws.test.ts and SecretCache.vault.test.ts.
import t from 'tap';
import { CacheClosedError } from '../../src/cache/CacheClosedError';
import { CACHE_MISS } from '../../src/cache/cacheMiss';
import { cacheKey } from '../../src/cache/cacheKey';
import { SecretCache, type CacheMeta, type CacheStaleEvent } from '../../src/cache/SecretCache';
import { ForbiddenError } from '../../src/errors/ForbiddenError';
import { ProviderAuthError } from '../../src/errors/ProviderAuthError';
import { ProviderResponseError } from '../../src/errors/ProviderResponseError';
import { ProviderUnavailableError } from '../../src/errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../src/errors/SecretNotFoundError';
import { SecureArena } from '../../src/memory/SecureArena';
import type { FetchedSecret } from '../../src/providers/Provider';
import { plantValue } from '../helpers/peers';
import { countingLoader, deferred, everythingOf, failingLoader, isZeroed, manualClock, settle } from './fixtures/cacheTestKit';

const P = 'aws://us-east-1/app';
const key = (path: string, version = '') => cacheKey(P, path, version);
const text = (view: Buffer) => view.toString('utf8');
const MIN = 60_000;

t.test('Class: SecretCache', async (t) => {
  t.test('Method: use', async (t) => {
    t.test('a miss loads once, copies the value into locked memory and zeroes the loader buffer at once', async (t) => {
      const arena = new SecureArena();
      const cache = new SecretCache({ arena, ...manualClock() });
      const value = plantValue();
      const l = countingLoader(value, 'v7');
      const seen: CacheMeta[] = [];
      const got = await cache.use(key('tenants/a/DB'), l.loader, (view, meta) => {
        seen.push(meta);
        return text(view);
      });
      t.equal(got, value);
      t.equal(l.calls(), 1);
      t.ok(isZeroed(l.lastBuffer()!), "the loader's buffer was zeroed");
      t.match(seen[0], { version: 'v7', cache: 'miss' });
      t.equal(arena.stats().liveSlices, 1, 'one slice in the arena');
      t.equal(arena.stats().liveBytes, Buffer.byteLength(value));
      t.ok(Object.isFrozen(seen[0]), 'meta is frozen');
    });

    t.test('a hit calls fn synchronously, before use() returns, and does not call the loader', async (t) => {
      const cache = new SecretCache(manualClock());
      const l = countingLoader('x'.repeat(32));
      await cache.use(key('A'), l.loader, () => undefined);
      let ranAt = 'never';
      const p = cache.use(key('A'), l.loader, (_view, meta) => {
        ranAt = 'inside use()';
        return meta.cache;
      });
      const after = ranAt;
      t.equal(after, 'inside use()', 'no promise hop before fn on a hit');
      t.equal(await p, 'hit');
      t.equal(l.calls(), 1);
      t.match(cache.stats(), { hits: 1, misses: 1, loads: 1 });
    });

    t.test('fn errors reject use() on a hit and on a miss, and leave the entry usable', async (t) => {
      const cache = new SecretCache(manualClock());
      const l = countingLoader('v');
      const boom = new Error('fn failed');
      await t.rejects(
        cache.use(key('A'), l.loader, () => {
          throw boom;
        }),
        boom,
      );
      await t.rejects(
        cache.use(key('A'), l.loader, () => {
          throw boom;
        }),
        boom,
      );
      t.equal(await cache.use(key('A'), l.loader, text), 'v');
      t.equal(l.calls(), 1);
    });

    t.test('a loader that throws synchronously or returns garbage gives a typed error, no entry', async (t) => {
      const cache = new SecretCache(manualClock());
      const sync = new ProviderUnavailableError('down');
      await t.rejects(
        cache.use(key('A'), () => {
          throw sync;
        }, text),
        sync,
      );
      await t.rejects(cache.use(key('B'), async () => ({ value: 'not a buffer' }) as unknown as FetchedSecret, text), { code: ProviderResponseError.code });
      await t.rejects(cache.use(key('C'), async () => undefined as unknown as FetchedSecret, text), { code: ProviderResponseError.code });
      t.equal(cache.stats().entries, 0);
    });

    t.test('a key not made by cacheKey() is refused', async (t) => {
      const cache = new SecretCache(manualClock());
      await t.rejects(cache.use('no-separators', countingLoader('v').loader, text), TypeError);
    });
  });

  t.test('Method: useSync', async (t) => {
    t.test('returns CACHE_MISS when absent or expired, the result of fn when fresh', async (t) => {
      const clock = manualClock();
      const cache = new SecretCache({ ...clock, ttlMs: MIN });
      t.equal(
        cache.useSync(key('A'), () => 1),
        CACHE_MISS,
      );
      await cache.get(key('A'), countingLoader('value-a').loader);
      t.equal(cache.useSync(key('A'), text), 'value-a');
      t.equal(
        cache.useSync(key('A'), () => undefined),
        undefined,
        'undefined from fn is not a miss',
      );
      clock.advance(MIN);
      t.equal(cache.useSync(key('A'), text), CACHE_MISS, 'expired at exactly ttl');
      t.match(cache.stats(), { hits: 2, misses: 3 });
    });
  });

  t.test('Method: get', async (t) => {
    t.test('returns metadata only: miss, then hit, with the backend version and fetch time', async (t) => {
      const clock = manualClock();
      const cache = new SecretCache(clock);
      const l = countingLoader('v', 'ver-1');
      const first = await cache.get(key('A'), l.loader);
      clock.advance(1_000);
      const second = await cache.get(key('A'), l.loader);
      t.same(first, { version: 'ver-1', cache: 'miss', fetchedAt: clock.now() - 1_000 });
      t.same(second, { version: 'ver-1', cache: 'hit', fetchedAt: clock.now() - 1_000 });
      t.equal(l.calls(), 1);
    });
  });

  t.test('Keys', async (t) => {
    t.test('tenants, versions and providers never share an entry', async (t) => {
      const cache = new SecretCache(manualClock());
      const a = await cache.use(cacheKey(P, 'prod/tenants/a/DB'), countingLoader('tenant-a').loader, text);
      const b = await cache.use(cacheKey(P, 'prod/tenants/b/DB'), countingLoader('tenant-b').loader, text);
      const v1 = await cache.use(cacheKey(P, 'prod/tenants/a/DB', 'v1'), countingLoader('tenant-a-v1').loader, text);
      const other = await cache.use(cacheKey('vault://h/secret', 'prod/tenants/a/DB'), countingLoader('vault-a').loader, text);
      t.same([a, b, v1, other], ['tenant-a', 'tenant-b', 'tenant-a-v1', 'vault-a']);
      t.equal(cache.stats().entries, 4);
      t.equal(await cache.use(cacheKey(P, 'prod/tenants/b/DB'), failingLoader(new Error('not called')).loader, text), 'tenant-b');
    });
  });

  t.test('TTL', async (t) => {
    t.test('an entry is served until ttl, then reloaded; the replaced bytes are zeroed', async (t) => {
      const clock = manualClock();
      const arena = new SecureArena();
      const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN });
      let version = 0;
      const loader = async (): Promise<FetchedSecret> => ({ value: Buffer.from(`value-${++version}`), version: `v${version}`, stages: [] });
      let oldView: Buffer | undefined;
      t.equal(
        await cache.use(key('A'), loader, (view) => {
          oldView = view;
          return text(view);
        }),
        'value-1',
      );
      clock.advance(5 * MIN - 1);
      t.match(await cache.get(key('A'), loader), { cache: 'hit', version: 'v1' });
      clock.advance(1);
      t.match(await cache.get(key('A'), loader), { cache: 'miss', version: 'v2' });
      t.equal(await cache.use(key('A'), loader, text), 'value-2');
      t.ok(isZeroed(oldView!), 'the replaced value was zeroed');
      t.equal(arena.stats().liveSlices, 1);
    });

    t.test('the default ttl is 5 minutes', async (t) => {
      const clock = manualClock();
      const cache = new SecretCache(clock);
      const l = countingLoader('v');
      await cache.get(key('A'), l.loader);
      clock.advance(5 * MIN - 1);
      await cache.get(key('A'), l.loader);
      t.equal(l.calls(), 1);
      clock.advance(1);
      await cache.get(key('A'), l.loader);
      t.equal(l.calls(), 2);
    });
  });

  t.test('Limits', async (t) => {
    t.test('maxEntries evicts the least recently used entry and zeroes its bytes', async (t) => {
      const clock = manualClock();
      const arena = new SecureArena();
      const cache = new SecretCache({ ...clock, arena, maxEntries: 3 });
      const views = new Map<string, Buffer>();
      for (const name of ['A', 'B', 'C']) {
        await cache.use(key(name), countingLoader(`value-${name}`).loader, (view) => void views.set(name, view));
        clock.advance(1);
      }
      cache.useSync(key('A'), () => undefined); // A is now the most recent; B the least
      clock.advance(1);
      await cache.use(key('D'), countingLoader('value-D').loader, (view) => void views.set('D', view));
      t.ok(isZeroed(views.get('B')!), 'the evicted B was zeroed');
      t.equal(text(views.get('A')!), 'value-A', 'A kept');
      t.equal(text(views.get('C')!), 'value-C', 'C kept');
      t.equal(cache.useSync(key('B'), text), CACHE_MISS);
      t.match(cache.stats(), { entries: 3, evictions: 1 });
      t.equal(arena.stats().liveSlices, 3);
    });

    t.test('maxBytes evicts LRU entries until the new value fits; a value larger than maxBytes is served, not kept', async (t) => {
      const clock = manualClock();
      const arena = new SecureArena();
      const cache = new SecretCache({ ...clock, arena, maxBytes: 250 });
      const views: Buffer[] = [];
      for (const name of ['A', 'B']) {
        await cache.use(key(name), countingLoader('a'.repeat(100)).loader, (view) => void views.push(view));
        clock.advance(1);
      }
      await cache.get(key('C'), countingLoader('c'.repeat(100)).loader);
      t.ok(isZeroed(views[0]!), 'A evicted and zeroed');
      t.match(cache.stats(), { entries: 2, bytes: 200, evictions: 1 });
      const big = countingLoader('b'.repeat(300));
      t.equal(await cache.use(key('BIG'), big.loader, (view) => view.length), 300);
      t.equal(await cache.use(key('BIG'), big.loader, (view) => view.length), 300);
      t.equal(big.calls(), 2, 'not kept: loaded each time');
      t.match(cache.stats(), { entries: 2, bytes: 200 });
      t.equal(arena.stats().liveSlices, 2, 'the oversized value was freed after serving');
    });

    t.test('options are validated', async (t) => {
      t.throws(() => new SecretCache({ ttlMs: 0 }), { code: 'E_CONFIG', message: /ttlMs/ });
      t.throws(() => new SecretCache({ maxEntries: 1.5 }), { code: 'E_CONFIG', message: /maxEntries/ });
      t.throws(() => new SecretCache({ maxBytes: -1 }), { code: 'E_CONFIG', message: /maxBytes/ });
      t.throws(() => new SecretCache({ maxStaleMs: -1 }), { code: 'E_CONFIG', message: /maxStaleMs/ });
      t.throws(() => new SecretCache({ clockResolutionMs: Infinity }), { code: 'E_CONFIG', message: /clockResolutionMs/ });
      t.throws(() => new SecretCache({ onStale: 'log' as unknown as () => void }), { code: 'E_CONFIG', message: /onStale/ });
      t.throws(() => new SecretCache({ pruneIntervalMs: -5 }), { code: 'E_CONFIG', message: /pruneIntervalMs/ });
    });
  });

  t.test('Coalescing', async (t) => {
    t.test('1,000 concurrent reads of one uncached key make exactly one loader call; all get the value', async (t) => {
      const cache = new SecretCache(manualClock());
      const value = plantValue();
      const gate = deferred<void>();
      let calls = 0;
      const loader = async (): Promise<FetchedSecret> => {
        calls++;
        await gate.promise;
        return { value: Buffer.from(value), version: 'v1', stages: [] };
      };
      const reads = Array.from({ length: 1_000 }, (_, i) => (i % 10 === 0 ? cache.get(key('HOT'), loader).then((m) => m.cache) : cache.use(key('HOT'), loader, text)));
      t.equal(cache.stats().inflight, 1);
      gate.resolve();
      const results = await Promise.all(reads);
      t.equal(calls, 1, 'one loader call');
      t.equal(results.filter((r) => r === value).length, 900);
      t.equal(results.filter((r) => r === 'miss').length, 100);
      t.match(cache.stats(), { loads: 1, misses: 1_000, coalesced: 999, entries: 1, inflight: 0 });
    });

    t.test('a loader error reaches every waiter as the same error object; nothing is cached; the next read retries', async (t) => {
      const cache = new SecretCache(manualClock());
      const error = new ProviderUnavailableError('backend down');
      const gate = deferred<void>();
      let calls = 0;
      const loader = async (): Promise<FetchedSecret> => {
        calls++;
        await gate.promise;
        throw error;
      };
      const reads = Array.from({ length: 100 }, (_, i) => settle<unknown>(i % 2 ? cache.use(key('X'), loader, text) : cache.get(key('X'), loader)));
      gate.resolve();
      const results = await Promise.all(reads);
      t.equal(calls, 1);
      t.ok(results.every((r) => !r.ok && r.error === error), 'every waiter got the very same error');
      t.match(cache.stats(), { entries: 0, loadErrors: 1, inflight: 0 });
      await t.rejects(cache.get(key('X'), loader), error);
      t.equal(calls, 2, 'failures are not cached');
    });

    t.test("a waiter whose fn throws does not disturb the others", async (t) => {
      const cache = new SecretCache(manualClock());
      const l = countingLoader('v');
      const boom = new Error('one bad reader');
      const [a, b, c] = await Promise.all([
        settle(cache.use(key('A'), l.loader, text)),
        settle(
          cache.use(key('A'), l.loader, () => {
            throw boom;
          }),
        ),
        settle(cache.use(key('A'), l.loader, text)),
      ]);
      t.same([a, c], [{ ok: true, value: 'v' }, { ok: true, value: 'v' }]);
      t.same(b, { ok: false, error: boom });
    });

    t.test('a waiter invalidating the key inside fn does not zero the value under later waiters', async (t) => {
      const arena = new SecureArena();
      const cache = new SecretCache({ ...manualClock(), arena });
      const l = countingLoader('still-here');
      const results = await Promise.all([
        cache.use(key('A'), l.loader, (view) => {
          cache.invalidate(key('A'));
          return text(view);
        }),
        cache.use(key('A'), l.loader, text),
      ]);
      t.same(results, ['still-here', 'still-here']);
      t.equal(arena.stats().liveSlices, 0, 'freed once the waiters were served');
    });
  });

  t.test('Stale-if-error', async (t) => {
    const setup = (maxStaleMs: number, extra: Partial<ConstructorParameters<typeof SecretCache>[0]> = {}) => {
      const clock = manualClock();
      const events: CacheStaleEvent[] = [];
      const arena = new SecureArena();
      const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN, maxStaleMs, onStale: (e) => void events.push(e), ...extra });
      return { clock, events, cache, arena };
    };

    t.test('within maxStale an unavailable backend is answered with the expired value, cache: stale, and onStale', async (t) => {
      const { clock, events, cache } = setup(10 * MIN);
      const value = plantValue();
      await cache.get(key('tenants/a/DB', ''), countingLoader(value, 'v1').loader);
      clock.advance(5 * MIN + 10 * MIN); // expired exactly maxStale ago
      const down = failingLoader(new ProviderUnavailableError('Backend unreachable after 3 attempts.'));
      const metas: CacheMeta[] = [];
      const results = await Promise.all(
        Array.from({ length: 5 }, () =>
          cache.use(key('tenants/a/DB'), down.loader, (view, meta) => {
            metas.push(meta);
            return text(view);
          }),
        ),
      );
      t.ok(results.every((r) => r === value));
      t.equal(down.calls(), 1, 'coalesced: one backend attempt');
      t.ok(metas.every((m) => m.cache === 'stale' && m.version === 'v1'));
      t.equal(events.length, 1, 'one onStale per failed load');
      t.match(events[0], { providerId: P, path: 'tenants/a/DB', version: '', servedVersion: 'v1', staleForMs: 10 * MIN, maxStaleMs: 10 * MIN, readers: 5, code: 'E_PROVIDER_UNAVAILABLE' });
      t.match(cache.stats(), { stale: 5, loadErrors: 1, entries: 1 });
    });

    t.test('past maxStale it fails closed with the loader error and drops (zeroes) the entry', async (t) => {
      const { clock, events, cache, arena } = setup(10 * MIN);
      let view: Buffer | undefined;
      await cache.use(key('A'), countingLoader('old').loader, (v) => void (view = v));
      clock.advance(5 * MIN + 10 * MIN + 1);
      const error = new ProviderUnavailableError('down');
      await t.rejects(cache.use(key('A'), failingLoader(error).loader, text), error);
      t.equal(events.length, 0);
      t.ok(isZeroed(view!));
      t.equal(arena.stats().liveSlices, 0);
      t.equal(cache.stats().entries, 0);
    });

    t.test('stale answers keep trying the backend and end when it recovers', async (t) => {
      const { clock, cache } = setup(10 * MIN);
      await cache.get(key('A'), countingLoader('old', 'v1').loader);
      clock.advance(6 * MIN);
      const down = failingLoader(new ProviderUnavailableError('down'));
      t.match(await cache.get(key('A'), down.loader), { cache: 'stale', version: 'v1' });
      t.match(await cache.get(key('A'), down.loader), { cache: 'stale' });
      t.equal(down.calls(), 2, 'every stale read is preceded by a load attempt');
      t.match(await cache.get(key('A'), countingLoader('new', 'v2').loader), { cache: 'miss', version: 'v2' });
      t.match(await cache.get(key('A'), down.loader), { cache: 'hit', version: 'v2' });
    });

    t.test('a stale answer counts as a use for LRU', async (t) => {
      const { clock, cache } = setup(10 * MIN, { maxEntries: 2 });
      await cache.get(key('A'), countingLoader('a').loader);
      await cache.get(key('B'), countingLoader('b').loader);
      clock.advance(6 * MIN);
      t.match(await cache.get(key('A'), failingLoader(new ProviderUnavailableError('down')).loader), { cache: 'stale' });
      await cache.get(key('C'), countingLoader('c').loader);
      t.match(await cache.get(key('A'), failingLoader(new ProviderUnavailableError('down')).loader), { cache: 'stale' }, 'A kept');
      t.equal(cache.useSync(key('B'), text), CACHE_MISS, 'B evicted');
    });

    t.test('maxStale defaults to 0: no stale answers', async (t) => {
      const clock = manualClock();
      const cache = new SecretCache({ ...clock, ttlMs: MIN });
      await cache.get(key('A'), countingLoader('v').loader);
      clock.advance(MIN);
      await t.rejects(cache.get(key('A'), failingLoader(new ProviderUnavailableError('down')).loader), { code: 'E_PROVIDER_UNAVAILABLE' });
      t.equal(cache.stats().entries, 0);
    });

    const nonRetryable: [string, Error][] = [
      ['not found', new SecretNotFoundError('Secret tenants/a/DB was not found.')],
      ['forbidden', new ForbiddenError('secrets:read')],
      ['auth', new ProviderAuthError('The token was revoked.')],
      ['a malformed response', new ProviderResponseError('garbage')],
      ['a plain Error', new Error('bug')],
    ];
    for (const [label, error] of nonRetryable) {
      t.test(`${label} never serves stale and evicts the entry`, async (t) => {
        const { clock, events, cache, arena } = setup(10 * MIN);
        let view: Buffer | undefined;
        await cache.use(key('A'), countingLoader('old').loader, (v) => void (view = v));
        clock.advance(6 * MIN);
        await t.rejects(cache.use(key('A'), failingLoader(error).loader, text), error);
        t.equal(events.length, 0);
        t.ok(isZeroed(view!), 'zeroed');
        t.equal(arena.stats().liveSlices, 0);
        t.equal(cache.useSync(key('A'), text), CACHE_MISS);
        clock.advance(0);
        await t.rejects(cache.get(key('A'), failingLoader(new ProviderUnavailableError('down')).loader), { code: 'E_PROVIDER_UNAVAILABLE' }, 'nothing left to serve stale afterwards');
      });
    }

    t.test('shouldServeStale chooses which errors qualify; a throwing predicate means no', async (t) => {
      const custom = setup(10 * MIN, { shouldServeStale: (e) => (e as Error).message === 'throttled' });
      await custom.cache.get(key('A'), countingLoader('v').loader);
      custom.clock.advance(6 * MIN);
      t.match(await custom.cache.get(key('A'), failingLoader(new Error('throttled')).loader), { cache: 'stale' });
      await t.rejects(custom.cache.get(key('A'), failingLoader(new ProviderUnavailableError('down')).loader), { code: 'E_PROVIDER_UNAVAILABLE' });

      const throwing = setup(10 * MIN, {
        shouldServeStale: () => {
          throw new Error('predicate bug');
        },
      });
      await throwing.cache.get(key('A'), countingLoader('v').loader);
      throwing.clock.advance(6 * MIN);
      await t.rejects(throwing.cache.get(key('A'), failingLoader(new ProviderUnavailableError('down')).loader), { code: 'E_PROVIDER_UNAVAILABLE' });
    });

    t.test('a throwing onStale hook does not change the answer', async (t) => {
      const { clock, cache } = setup(10 * MIN, {
        onStale: () => {
          throw new Error('logger broke');
        },
      });
      await cache.get(key('A'), countingLoader('v').loader);
      clock.advance(6 * MIN);
      t.equal(await cache.use(key('A'), failingLoader(new ProviderUnavailableError('down')).loader, text), 'v');
    });
  });

  t.test('Invalidation', async (t) => {
    t.test('invalidate(key) zeroes the entry; the next read loads', async (t) => {
      const arena = new SecureArena();
      const cache = new SecretCache({ ...manualClock(), arena });
      const l = countingLoader('v');
      let view: Buffer | undefined;
      await cache.use(key('A'), l.loader, (v) => void (view = v));
      t.equal(cache.invalidate(key('A')), true);
      t.equal(cache.invalidate(key('A')), false, 'nothing left');
      t.ok(isZeroed(view!));
      t.equal(arena.stats().liveSlices, 0);
      await cache.get(key('A'), l.loader);
      t.equal(l.calls(), 2);
    });

    t.test('a load in flight when the key is invalidated serves its waiters but is not stored; new readers load again', async (t) => {
      const arena = new SecureArena();
      const cache = new SecretCache({ ...manualClock(), arena });
      const gate = deferred<void>();
      let n = 0;
      const loader = async (): Promise<FetchedSecret> => {
        const mine = ++n;
        if (mine === 1) await gate.promise;
        return { value: Buffer.from(`value-${mine}`), version: `v${mine}`, stages: [] };
      };
      const before = cache.use(key('A'), loader, text);
      cache.invalidatePrefix(P, 'A'); // e.g. a write of A completed meanwhile
      const after = cache.use(key('A'), loader, text);
      t.equal(await after, 'value-2', 'a reader after the write gets a fresh load');
      gate.resolve();
      t.equal(await before, 'value-1', 'the earlier reader gets its own result');
      t.equal(await cache.use(key('A'), loader, text), 'value-2', 'the detached load did not overwrite the newer entry');
      t.equal(arena.stats().liveSlices, 1);
    });

    t.test('invalidatePrefix(providerId, prefix) drops every version under the prefix of that provider only', async (t) => {
      const cache = new SecretCache(manualClock());
      const fill = (provider: string, path: string, version = '') => cache.get(cacheKey(provider, path, version), countingLoader('v').loader);
      await fill(P, 'prod/tenants/a/DB');
      await fill(P, 'prod/tenants/a/DB', 'v1');
      await fill(P, 'prod/tenants/a/DB_2');
      await fill(P, 'prod/tenants/ab/DB');
      await fill(`${P}x`, 'prod/tenants/a/DB');
      await fill(P, 'prod/tenants/b/DB');
      t.equal(cache.invalidatePrefix(P, 'prod/tenants/a/'), 3, 'a folder prefix');
      t.equal(cache.stats().entries, 3);
      t.equal(cache.useSync(cacheKey(P, 'prod/tenants/ab/DB'), () => 'kept'), 'kept', 'tenant ab is not under tenants/a/');
      t.equal(cache.useSync(cacheKey(`${P}x`, 'prod/tenants/a/DB'), () => 'kept'), 'kept', 'a provider whose id extends P is another provider');
      t.equal(cache.invalidatePrefix(P, ''), 2, "'' = everything of the provider");
      t.equal(cache.stats().entries, 1);
    });

    t.test('invalidateSecret(providerId, path) drops every version of exactly that path', async (t) => {
      const cache = new SecretCache(manualClock());
      const fill = (path: string, version = '') => cache.get(cacheKey(P, path, version), countingLoader('v').loader);
      await fill('t/a/DB');
      await fill('t/a/DB', 'v1');
      await fill('t/a/DB', 'v2');
      await fill('t/a/DB_2');
      t.equal(cache.invalidateSecret(P, 't/a/DB'), 3);
      t.equal(cache.useSync(cacheKey(P, 't/a/DB_2'), () => 'kept'), 'kept');
      t.throws(() => cache.invalidateSecret(P, ''), TypeError);
      t.throws(() => cache.invalidatePrefix('', 'x'), TypeError);
    });
  });

  t.test('Memory', async (t) => {
    t.test('clear() zeroes every value and returns the arena to 0 live slices; close() refuses later reads', async (t) => {
      const arena = new SecureArena();
      const cache = new SecretCache({ ...manualClock(), arena });
      const views: Buffer[] = [];
      for (let i = 0; i < 50; i++) await cache.use(key(`tenants/t${i}/DB`), countingLoader(plantValue()).loader, (v) => void views.push(v));
      t.equal(arena.stats().liveSlices, 50);
      t.ok(cache.stats().bytes > 0);
      cache.clear();
      t.equal(arena.stats().liveSlices, 0);
      t.equal(arena.stats().liveBytes, 0);
      t.ok(views.every(isZeroed), 'every value zeroed');
      t.match(cache.stats(), { entries: 0, bytes: 0 });
      await cache.get(key('A'), countingLoader('v').loader);
      cache.close();
      cache.close();
      t.equal(cache.isClosed, true);
      t.equal(arena.stats().liveSlices, 0);
      await t.rejects(cache.get(key('A'), countingLoader('v').loader), { code: CacheClosedError.code });
      t.equal(cache.useSync(key('A'), text), CACHE_MISS);
    });

    t.test('close() while a load is in flight rejects its waiters and zeroes the late value', async (t) => {
      const arena = new SecureArena();
      const cache = new SecretCache({ ...manualClock(), arena });
      const gate = deferred<void>();
      const late = Buffer.from(plantValue());
      const pending = cache.use(
        key('A'),
        async () => {
          await gate.promise;
          return { value: late, version: 'v', stages: [] };
        },
        text,
      );
      cache.close();
      gate.resolve();
      await t.rejects(pending, { code: CacheClosedError.code });
      t.ok(isZeroed(late), "the loader's buffer was zeroed");
      t.equal(arena.stats().liveSlices, 0);
    });

    t.test('10,000 entries (the default maxEntries) stay in locked memory; the 10,001st evicts one', async (t) => {
      const arena = new SecureArena();
      const cache = new SecretCache({ ...manualClock(), arena });
      for (let i = 0; i <= 10_000; i++) await cache.get(key(`tenants/t${i}/DB`), async () => ({ value: Buffer.alloc(64, 1), version: 'v', stages: [] }));
      t.match(cache.stats(), { entries: 10_000, evictions: 1, bytes: 640_000 });
      t.equal(arena.stats().liveSlices, 10_000);
      t.equal(arena.stats().unlockedRegions, 0, 'all locked');
      t.comment(`locked bytes per cached 64-byte value: ${(arena.stats().lockedBytes / 10_000).toFixed(1)}`);
      cache.clear();
      t.equal(arena.stats().liveSlices, 0);
    });
  });

  t.test('Method: prune', async (t) => {
    t.test('zeroes and drops entries past their stale window, keeps those inside it', async (t) => {
      const clock = manualClock();
      const arena = new SecureArena();
      const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN, maxStaleMs: 10 * MIN });
      let viewA: Buffer | undefined;
      await cache.use(key('A'), countingLoader('a').loader, (v) => void (viewA = v));
      clock.advance(3 * MIN);
      await cache.get(key('B'), countingLoader('b').loader);
      clock.advance(12 * MIN); // A expired 10 min ago (still servable stale), B 7 min ago
      t.equal(cache.prune(), 0);
      clock.advance(1);
      t.equal(cache.prune(), 1, 'A is past its window');
      t.ok(isZeroed(viewA!));
      t.equal(arena.stats().liveSlices, 1);
      t.match(await cache.get(key('B'), failingLoader(new ProviderUnavailableError('down')).loader), { cache: 'stale' });
    });

    t.test('with maxStale 0 every expired entry goes', async (t) => {
      const clock = manualClock();
      const cache = new SecretCache({ ...clock, ttlMs: MIN });
      await cache.get(key('A'), countingLoader('a').loader);
      t.equal(cache.prune(), 0);
      clock.advance(MIN);
      t.equal(cache.prune(), 1);
      t.equal(cache.stats().entries, 0);
    });
  });

  t.test('No value leaks', async (t) => {
    t.test('planted values never appear in errors, stats, hook payloads or an inspected cache', async (t) => {
      const clock = manualClock();
      const events: CacheStaleEvent[] = [];
      const cache = new SecretCache({ ...clock, ttlMs: MIN, maxStaleMs: 10 * MIN, onStale: (e) => void events.push(e) });
      const planted = plantValue();
      const outputs: unknown[] = [];
      await cache.get(key('tenants/a/DB'), countingLoader(planted).loader);
      clock.advance(2 * MIN);
      await cache.get(key('tenants/a/DB'), failingLoader(new ProviderUnavailableError('Could not reach the backend.')).loader);
      outputs.push(...events, cache.stats(), cache);
      clock.advance(20 * MIN);
      outputs.push(await settle(cache.get(key('tenants/a/DB'), failingLoader(new ProviderUnavailableError('down')).loader)));
      outputs.push(await settle(cache.use(key('B'), async () => ({ value: planted }) as unknown as FetchedSecret, text)));
      outputs.push(await settle(cache.use('bad key', countingLoader(planted).loader, text)));
      cache.close();
      outputs.push(await settle(cache.get(key('A'), countingLoader(planted).loader)));
      t.equal(events.length, 1);
      for (const o of outputs) t.notOk(everythingOf(o).includes(planted), 'no planted value');
    });
  });
});
