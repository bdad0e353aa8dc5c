import t from 'tap';
import { SecureArena } from '../../src/memory/SecureArena';
import { KeyedDigest } from '../../src/memory/KeyedDigest';

t.test('Class: SecureArena', async (t) => {
  t.test('Method: alloc > hands out zeroed views of the requested length in locked memory', async (t) => {
    const arena = new SecureArena();
    const s = arena.alloc(40);
    t.equal(s.view.length, 40);
    t.ok(s.view.every((b) => b === 0));
    t.equal((s.view.buffer as ArrayBuffer & { secure?: boolean }).byteLength >= 4096, true, 'carved from a page-sized region');
    const st = arena.stats();
    t.equal(st.liveSlices, 1);
    t.equal(st.liveBytes, 40);
    t.equal(st.unlockedRegions, 0, 'root can always lock');
    t.ok(st.lockedBytes >= 4096);
  });

  t.test('Method: free > zeroes the bytes and reuses the block', async (t) => {
    const arena = new SecureArena();
    const s = arena.copyIn(Buffer.from('super-secret-value'));
    const backing = Buffer.from(s.view.buffer, s.view.byteOffset, 32);
    t.equal(s.view.toString(), 'super-secret-value');
    s.free();
    s.free(); // idempotent
    t.ok(backing.every((b) => b === 0), 'zeroed on free');
    const again = arena.alloc(20);
    t.equal(again.view.byteOffset, backing.byteOffset, 'same block reused');
    t.equal(arena.stats().liveSlices, 1);
  });

  t.test('many small secrets share few regions', async (t) => {
    const arena = new SecureArena();
    for (let i = 0; i < 10_000; i++) arena.copyIn(Buffer.alloc(64, i % 250));
    const st = arena.stats();
    t.ok(st.regions < 20, `10,000 values in ${st.regions} regions`);
    t.ok(st.lockedBytes / 10_000 <= 200, `${st.lockedBytes / 10_000} locked bytes per secret`);
  });

  t.test('large values get a region of their own; zero-length values work', async (t) => {
    const arena = new SecureArena({ maxSlabBytes: 8192 });
    const big = arena.alloc(5000);
    t.equal(big.view.length, 5000);
    const empty = arena.alloc(0);
    t.equal(empty.view.length, 0);
    big.free();
    const big2 = arena.alloc(4100);
    t.equal(big2.view.length, 4100);
    t.throws(() => arena.alloc(-1), RangeError);
  });

  t.test('Method: truncate > shortens the view and zeroes the tail', async (t) => {
    const arena = new SecureArena();
    const s = arena.copyIn(Buffer.from('value\n'));
    const backing = Buffer.from(s.view.buffer, s.view.byteOffset, 6);
    s.truncate(5);
    t.equal(s.view.toString(), 'value');
    t.equal(s.length, 5);
    t.equal(backing[5], 0);
    t.throws(() => s.truncate(9), RangeError);
  });

  t.test('Method: zeroAll > wipes every region', async (t) => {
    const arena = new SecureArena();
    const a = arena.copyIn(Buffer.from('aaaa'));
    const b = arena.copyIn(Buffer.alloc(9000, 7));
    arena.zeroAll();
    t.ok(a.view.every((x) => x === 0));
    t.ok(b.view.every((x) => x === 0));
  });
});

t.test('Class: KeyedDigest', async (t) => {
  const d = new KeyedDigest();
  t.equal(d.of(Buffer.from('x')), d.of(Buffer.from('x')), 'deterministic within a process');
  t.not(d.of(Buffer.from('x')), d.of(Buffer.from('y')));
  t.not(new KeyedDigest().of(Buffer.from('x')), d.of(Buffer.from('x')), 'keyed: another key, another digest');
  t.match(d.of(Buffer.alloc(0)), /^[0-9a-f]{64}$/);
  d.zero();
});
