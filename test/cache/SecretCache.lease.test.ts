import t from 'tap';
import { CACHE_MISS } from '../../src/cache/cacheMiss';
import { cacheKey } from '../../src/cache/cacheKey';
import { SecretCache } from '../../src/cache/SecretCache';
import { SecureArena } from '../../src/memory/SecureArena';

const isZero = (b: Uint8Array) => b.every((x) => x === 0);
const loaderOf = (value: string, version = '1') => () => Promise.resolve({ value: Buffer.from(value), version, stages: [] as string[] });

t.test('Class: SecretCache (leases)', async (t) => {
  t.test('Method: useSync > a callback that invalidates its own key still reads its value until it returns', async (t) => {
    const arena = new SecureArena();
    const cache = new SecretCache({ arena });
    t.teardown(() => cache.close());
    const key = cacheKey('p', 'tenants/acme/K');
    await cache.get(key, loaderOf('acme-value'));
    let kept: Buffer | undefined;
    const seen = cache.useSync(key, (view) => {
      kept = view;
      cache.invalidate(key);
      return view.toString();
    });
    t.equal(seen, 'acme-value');
    t.ok(kept && isZero(kept), 'zeroed after the call');
    t.equal(cache.useSync(key, () => 1), CACHE_MISS);
    t.equal(arena.stats().quarantinedSlices, 1, 'held back while `kept` is reachable');
  });

  t.test('Method: use > async callbacks of a hit and of a load hold their value through eviction', async (t) => {
    const cache = new SecretCache({ maxEntries: 1 });
    t.teardown(() => cache.close());
    const a = cacheKey('p', 'tenants/acme/K');
    const b = cacheKey('p', 'tenants/globex/K');
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    const views: Buffer[] = [];
    const onLoad = cache.use(a, loaderOf('acme-value'), async (view) => {
      views.push(view);
      await gate;
      return view.toString();
    });
    await cache.get(a, loaderOf('unused'));
    const onHit = cache.use(a, loaderOf('unused'), async (view) => {
      await gate;
      return view.toString();
    });
    await cache.get(b, loaderOf('globex-val')); // evicts acme's entry (maxEntries 1)
    t.equal(cache.stats().evictions, 1);
    open();
    t.same(await Promise.all([onLoad, onHit]), ['acme-value', 'acme-value']);
    t.ok(isZero(views[0]!), 'zeroed when the last lease ended');
  });
});
