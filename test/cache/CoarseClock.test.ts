// The coarse clock of the cache hit path, and the cache with the real clock and real timers (expiry, pruning).
import t from 'tap';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoarseClock } from '../../src/cache/CoarseClock';
import { cacheKey } from '../../src/cache/cacheKey';
import { CACHE_MISS } from '../../src/cache/cacheMiss';
import { SecretCache } from '../../src/cache/SecretCache';

t.test('Class: CoarseClock', async (t) => {
  t.test('reads the clock once per window, then again after it', async (t) => {
    let reads = 0;
    let now = 1_000;
    const clock = new CoarseClock(() => (reads++, now), 20);
    t.teardown(() => clock.stop());
    t.equal(clock.read(), 1_000);
    now = 1_005;
    t.equal(clock.read(), 1_000, 'cached within the window');
    t.equal(reads, 1);
    await sleep(40);
    t.equal(clock.read(), 1_005, 'read again after the window');
    t.equal(reads, 2);
    now = 2_000;
    t.equal(clock.exact(), 2_000, 'exact() always reads');
    t.equal(clock.read(), 2_000, 'and refreshes the cached value');
  });

  t.test('resolution 0 reads every time and arms no timer', async (t) => {
    let now = 1;
    const clock = new CoarseClock(() => now++, 0);
    t.equal(clock.read(), 1);
    t.equal(clock.read(), 2);
  });

  t.test('its timer does not keep the process alive (unref) and stop() clears it', async (t) => {
    const clock = new CoarseClock(Date.now, 60_000);
    clock.read();
    clock.stop();
    t.pass('a pending window timer would hold the test open for a minute');
  });
});

t.test('SecretCache with the real clock (default resolution)', async (t) => {
  t.test('entries expire after ttl, at most one resolution window late', async (t) => {
    const cache = new SecretCache({ ttlMs: 30 });
    t.teardown(() => cache.close());
    const key = cacheKey('p', 'a');
    await cache.get(key, async () => ({ value: Buffer.from('v'), version: '1', stages: [] }));
    t.equal(cache.useSync(key, (v) => v.toString()), 'v');
    await sleep(60);
    t.equal(cache.useSync(key, (v) => v.toString()), CACHE_MISS);
  });

  t.test('the prune timer drops expired values by itself', async (t) => {
    const cache = new SecretCache({ ttlMs: 10, pruneIntervalMs: 20 });
    t.teardown(() => cache.close());
    await cache.get(cacheKey('p', 'a'), async () => ({ value: Buffer.from('v'), version: '1', stages: [] }));
    t.equal(cache.stats().entries, 1);
    await sleep(80);
    t.equal(cache.stats().entries, 0);
  });
});
