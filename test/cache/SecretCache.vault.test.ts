// The secret cache in front of the real Vault/OpenBao provider: coalescing against the shared bao peer,
// stale-if-error with a private bao server that is stopped (a real outage), fail-closed past maxStale,
// a 403 from a token without rights (never stale, entry evicted) and not-found eviction after a real delete.
import t from 'tap';
import { cacheKey } from '../../src/cache/cacheKey';
import { SecretCache, type CacheStaleEvent } from '../../src/cache/SecretCache';
import { SecureArena } from '../../src/memory/SecureArena';
import type { ProviderClient } from '../../src/providers/Provider';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../helpers/peers';
import { createToken, makeVaultClient, startPrivateBao } from '../providers/vault/vaultTestClient';
import { everythingOf, isZeroed, manualClock } from './fixtures/cacheTestKit';

ensurePeer('vault');

const MIN = 60_000;
const prefix = uniquePrefix('cache');
const providerId = `vault://${PEERS.vault.address.replace(/^https?:\/\//, '')}/secret/${prefix}`;
const text = (view: Buffer) => view.toString('utf8');

/** The client's `get`, counting calls. */
function countedGet(client: ProviderClient): { get: (name: string) => ReturnType<ProviderClient['get']>; calls: () => number } {
  let calls = 0;
  return {
    get: (name) => {
      calls++;
      return client.get(name);
    },
    calls: () => calls,
  };
}

t.test('SecretCache over the Vault provider (OpenBao)', async (t) => {
  const client = await makeVaultClient(prefix);
  t.teardown(() => client.close());

  t.test('1,000 concurrent reads of one uncached secret make exactly one provider get', async (t) => {
    const value = plantValue();
    const { version } = await client.put('tenants/acme/DB_PASSWORD', Buffer.from(value));
    const cache = new SecretCache();
    t.teardown(() => cache.close());
    const counted = countedGet(client);
    const key = cacheKey(providerId, 'tenants/acme/DB_PASSWORD');
    const results = await Promise.all(Array.from({ length: 1_000 }, () => cache.use(key, () => counted.get('tenants/acme/DB_PASSWORD'), (view, meta) => `${meta.version}:${text(view)}`)));
    t.equal(counted.calls(), 1);
    t.ok(results.every((r) => r === `${version}:${value}`));
    t.match(cache.stats(), { loads: 1, coalesced: 999 });
  });

  t.test('a token without rights on the path (403): never served stale, the entry is evicted', async (t) => {
    const clock = manualClock();
    const events: CacheStaleEvent[] = [];
    const arena = new SecureArena();
    const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN, maxStaleMs: 10 * MIN, onStale: (e) => void events.push(e) });
    t.teardown(() => cache.close());
    const path = 'tenants/acme/REVOKED';
    const value = plantValue();
    await client.put(path, Buffer.from(value));
    const key = cacheKey(providerId, path);
    let view: Buffer | undefined;
    await cache.use(key, () => client.get(path), (v) => void (view = v));
    const weak = await makeVaultClient(prefix, {}, { VAULT_TOKEN: await createToken({ policies: ['default'] }) });
    t.teardown(() => weak.close());
    clock.advance(6 * MIN);
    const error = await cache.use(key, () => weak.get(path), text).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.match(error, { code: 'E_PROVIDER_AUTH' });
    t.notOk(everythingOf(error).includes(value));
    t.equal(events.length, 0, 'no stale answer');
    t.ok(isZeroed(view!), 'evicted and zeroed');
    t.equal(arena.stats().liveSlices, 0);
  });

  t.test('a secret deleted in Vault: E_NOT_FOUND evicts the expired entry', async (t) => {
    const clock = manualClock();
    const arena = new SecureArena();
    const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN, maxStaleMs: 10 * MIN });
    t.teardown(() => cache.close());
    const path = 'tenants/acme/GONE';
    await client.put(path, Buffer.from(plantValue()));
    const key = cacheKey(providerId, path);
    await cache.get(key, () => client.get(path));
    await client.delete(path, { permanent: true });
    clock.advance(6 * MIN);
    await t.rejects(cache.get(key, () => client.get(path)), { code: 'E_NOT_FOUND' });
    t.match(cache.stats(), { entries: 0 });
    t.equal(arena.stats().liveSlices, 0);
  });
});

t.test('SecretCache over a Vault server that goes down (private OpenBao, stopped)', async (t) => {
  const bao = await startPrivateBao();
  t.teardown(() => bao.stop());
  const client = await makeVaultClient('p', { retries: '1', timeoutMs: '1000' }, { VAULT_TOKEN: bao.token }, { address: bao.address });
  t.teardown(() => client.close());
  const privateId = `vault://${bao.address.replace(/^https?:\/\//, '')}/secret/p`;
  const clock = manualClock();
  const events: CacheStaleEvent[] = [];
  const arena = new SecureArena();
  const cache = new SecretCache({ ...clock, arena, ttlMs: 5 * MIN, maxStaleMs: 10 * MIN, onStale: (e) => void events.push(e) });
  t.teardown(() => cache.close());
  const value = plantValue();
  const { version } = await client.put('tenants/acme/DB_PASSWORD', Buffer.from(value));
  const key = cacheKey(privateId, 'tenants/acme/DB_PASSWORD');
  let view: Buffer | undefined;
  await cache.use(key, () => client.get('tenants/acme/DB_PASSWORD'), (v) => void (view = v));

  await bao.stop();

  t.test('within maxStale: the last good value, marked stale, one backend attempt for 50 readers', async (t) => {
    clock.advance(5 * MIN + 4 * MIN);
    const counted = countedGet(client);
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.use(key, () => counted.get('tenants/acme/DB_PASSWORD'), (v, meta) => ({ value: text(v), meta }))));
    t.equal(counted.calls(), 1);
    t.ok(results.every((r) => r.value === value && r.meta.cache === 'stale' && r.meta.version === version));
    t.equal(events.length, 1);
    t.match(events[0], { providerId: privateId, path: 'tenants/acme/DB_PASSWORD', servedVersion: version, staleForMs: 4 * MIN, code: 'E_PROVIDER_UNAVAILABLE', readers: 50 });
    t.notOk(everythingOf(events[0]).includes(value));
  });

  t.test('past maxStale: fails closed with E_PROVIDER_UNAVAILABLE and zeroes the value', async (t) => {
    clock.advance(7 * MIN);
    const error = await cache.use(key, () => client.get('tenants/acme/DB_PASSWORD'), text).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.match(error, { code: 'E_PROVIDER_UNAVAILABLE' });
    t.notOk(everythingOf(error).includes(value));
    t.ok(isZeroed(view!));
    t.equal(arena.stats().liveSlices, 0);
    t.equal(events.length, 1, 'no further stale answer');
  });
});
