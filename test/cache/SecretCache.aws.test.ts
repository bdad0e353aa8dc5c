// The secret cache in front of the real AWS provider against the moto peer: coalescing counted on the SDK
// middleware stack (every send, retries included), stale-if-error with a client of the same cache key pointed
// at a closed port, not-found eviction after a real delete, invalidation after a real write.
import t from 'tap';
import { cacheKey } from '../../src/cache/cacheKey';
import { SecretCache, type CacheStaleEvent } from '../../src/cache/SecretCache';
import { SecureArena } from '../../src/memory/SecureArena';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../helpers/peers';
import { makeAwsClient, recordCalls } from '../providers/aws/awsTestClient';
import { closedPort, everythingOf, isZeroed, manualClock } from './fixtures/cacheTestKit';

ensurePeer('aws');

const MIN = 60_000;
const prefix = uniquePrefix('cache') + '/';
// What the service would pass as the provider id: the source URI (no credentials in it).
const providerId = `aws://${PEERS.aws.region}/${prefix}`;
const text = (view: Buffer) => view.toString('utf8');

t.test('SecretCache over the AWS provider (moto)', async (t) => {
  const client = await makeAwsClient(prefix);
  t.teardown(() => client.close());
  const calls = recordCalls(client);
  const gets = () => calls.filter((c) => c.command === 'GetSecretValueCommand').length;

  t.test('1,000 concurrent reads of one uncached secret make exactly one GetSecretValue call', async (t) => {
    const value = plantValue();
    const { version } = await client.put('tenants/acme/DB_PASSWORD', Buffer.from(value));
    const cache = new SecretCache();
    t.teardown(() => cache.close());
    const key = cacheKey(providerId, 'tenants/acme/DB_PASSWORD');
    const before = gets();
    const reads = Array.from({ length: 1_000 }, () => cache.use(key, () => client.get('tenants/acme/DB_PASSWORD'), (view, meta) => `${meta.version}:${text(view)}`));
    const results = await Promise.all(reads);
    t.equal(gets() - before, 1, 'one backend call on the wire');
    t.ok(results.every((r) => r === `${version}:${value}`), 'every reader got the value and its version');
    t.match(cache.stats(), { loads: 1, coalesced: 999, entries: 1 });
    t.equal(await cache.use(key, () => client.get('tenants/acme/DB_PASSWORD'), text), value);
    t.equal(gets() - before, 1, 'the next read is a hit');
  });

  t.test('a version-pinned key and the current key are separate entries', async (t) => {
    const v1 = plantValue();
    const v2 = plantValue();
    const a = await client.put('tenants/acme/API_KEY', Buffer.from(v1));
    await client.put('tenants/acme/API_KEY', Buffer.from(v2));
    const cache = new SecretCache();
    t.teardown(() => cache.close());
    const current = await cache.use(cacheKey(providerId, 'tenants/acme/API_KEY'), () => client.get('tenants/acme/API_KEY'), text);
    const pinned = await cache.use(cacheKey(providerId, 'tenants/acme/API_KEY', a.version), () => client.get('tenants/acme/API_KEY', { version: a.version }), text);
    t.same([current, pinned], [v2, v1]);
  });

  t.test('a write through the provider + invalidateSecret: the next read sees the new version at once', async (t) => {
    const clock = manualClock();
    const cache = new SecretCache({ ...clock, ttlMs: 5 * MIN });
    t.teardown(() => cache.close());
    const path = 'tenants/acme/ROTATED';
    const key = cacheKey(providerId, path);
    await client.put(path, Buffer.from(plantValue()));
    const first = await cache.get(key, () => client.get(path));
    const next = plantValue();
    const written = await client.put(path, Buffer.from(next));
    t.match(await cache.get(key, () => client.get(path)), { cache: 'hit', version: first.version }, 'without invalidation the old version is served until ttl');
    t.equal(cache.invalidateSecret(providerId, path), 1);
    const after = await cache.use(key, () => client.get(path), (view, meta) => ({ value: text(view), version: meta.version, cache: meta.cache }));
    t.same(after, { value: next, version: written.version, cache: 'miss' });
  });

  t.test('stale-if-error: the same key read through a client pointed at a closed port', async (t) => {
    const clock = manualClock();
    const events: CacheStaleEvent[] = [];
    const arena = new SecureArena();
    const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN, maxStaleMs: 10 * MIN, onStale: (e) => void events.push(e) });
    t.teardown(() => cache.close());
    const path = 'tenants/acme/STALE';
    const value = plantValue();
    const { version } = await client.put(path, Buffer.from(value));
    const key = cacheKey(providerId, path);
    let view: Buffer | undefined;
    await cache.use(key, () => client.get(path), (v) => void (view = v));

    // The same provider id and prefix, but the backend is now unreachable (connection refused, after retries).
    const down = await makeAwsClient(prefix, { endpoint: `http://127.0.0.1:${await closedPort()}` });
    t.teardown(() => down.close());
    const downCalls = recordCalls(down);

    clock.advance(5 * MIN + 9 * MIN);
    const results = await Promise.all(Array.from({ length: 20 }, () => cache.use(key, () => down.get(path), (v, meta) => ({ value: text(v), meta }))));
    t.ok(
      results.every((r) => r.value === value && r.meta.cache === 'stale' && r.meta.version === version),
      'served the last good value, marked stale',
    );
    t.equal(downCalls.length, 3, 'one coalesced load: 1 attempt + 2 retries on the wire');
    t.equal(events.length, 1);
    t.match(events[0], { providerId, path, servedVersion: version, staleForMs: 9 * MIN, code: 'E_PROVIDER_UNAVAILABLE', readers: 20 });
    t.notOk(everythingOf(events[0]).includes(value), 'no value in the hook payload');

    clock.advance(2 * MIN); // 11 minutes past expiry: beyond maxStale
    const error = await cache.use(key, () => down.get(path), text).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.match(error, { code: 'E_PROVIDER_UNAVAILABLE' }, 'fails closed with the typed provider error');
    t.notOk(everythingOf(error).includes(value));
    t.ok(isZeroed(view!), 'the stale value was zeroed');
    t.equal(arena.stats().liveSlices, 0);
  });

  t.test('a secret deleted in AWS: the expired entry is evicted on E_NOT_FOUND, never served stale', async (t) => {
    const clock = manualClock();
    const events: CacheStaleEvent[] = [];
    const arena = new SecureArena();
    const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN, maxStaleMs: 10 * MIN, onStale: (e) => void events.push(e) });
    t.teardown(() => cache.close());
    const path = 'tenants/acme/DELETED';
    await client.put(path, Buffer.from(plantValue()));
    const key = cacheKey(providerId, path);
    await cache.get(key, () => client.get(path));
    await client.delete(path, { permanent: true });
    clock.advance(6 * MIN);
    await t.rejects(cache.get(key, () => client.get(path)), { code: 'E_NOT_FOUND' });
    t.equal(events.length, 0);
    t.match(cache.stats(), { entries: 0, bytes: 0 });
    t.equal(arena.stats().liveSlices, 0);
  });
});
