// Cost of a cache hit, in its own process (a fresh JIT: callbacks from other tests would make the call site
// megamorphic). The 2x target against the preload's secrets.use is checked by bench/cache.bench.js; here the
// number only goes to the output (a timed assertion would pass or fail by the machine's load) and the test checks
// that every hit lent the right bytes.
import t from 'tap';
import { cacheKey } from '../../src/cache/cacheKey';
import { SecretCache } from '../../src/cache/SecretCache';
import { SecureArena } from '../../src/memory/SecureArena';

const P = 'aws://us-east-1/app';

t.test('Class: SecretCache', async (t) => {
  t.test('Hit cost', async (t) => {
    t.test('a useSync hit costs about a Map lookup plus a Buffer view (ns/op in the output)', async (t) => {
      const cache = new SecretCache();
      const arena = new SecureArena();
      const keys = Array.from({ length: 100 }, (_, i) => cacheKey(P, `prod/tenants/t${i}/DB_PASSWORD`));
      const baseline = new Map(keys.map((k) => [k, { slice: arena.copyIn(Buffer.alloc(32, 1)) }]));
      for (const k of keys) await cache.get(k, async () => ({ value: Buffer.alloc(32, 1), version: 'v', stages: [] }));
      const len = (v: Buffer) => v.length;
      const loops = {
        useSync(n: number) {
          let sink = 0;
          const t0 = process.hrtime.bigint();
          for (let i = 0, j = 0; i < n; i++, j = j === 99 ? 0 : j + 1) sink += cache.useSync(keys[j]!, len) as number;
          return { ns: Number(process.hrtime.bigint() - t0) / n, sink };
        },
        map(n: number) {
          let sink = 0;
          const t0 = process.hrtime.bigint();
          for (let i = 0, j = 0; i < n; i++, j = j === 99 ? 0 : j + 1) sink += len(baseline.get(keys[j]!)!.slice.view);
          return { ns: Number(process.hrtime.bigint() - t0) / n, sink };
        },
      };
      for (let w = 0; w < 3; w++) {
        loops.useSync(200_000);
        loops.map(200_000);
      }
      const samples = { useSync: [] as number[], map: [] as number[] };
      for (let b = 0; b < 10; b++) {
        for (const name of (b % 2 ? ['useSync', 'map'] : ['map', 'useSync']) as ('useSync' | 'map')[]) {
          const r = loops[name](300_000);
          t.equal(r.sink, 300_000 * 32);
          samples[name].push(r.ns);
        }
      }
      const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
      const ratio = median(samples.useSync) / median(samples.map);
      t.comment(`useSync hit: ${median(samples.useSync).toFixed(1)} ns/op; Map.get + view: ${median(samples.map).toFixed(1)} ns/op; ratio ${ratio.toFixed(2)}`);
      t.ok(Number.isFinite(ratio) && ratio > 0, 'both loops were measured');
      cache.close();
    });
  });
});
