import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import t from 'tap';
import { SecureArena, endLeaseWhenDone } from '../../src/memory/SecureArena';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const isZero = (b: Uint8Array) => b.every((x) => x === 0);

/** Collect until the arena's held-back count stops changing (finalization callbacks run in later tasks). */
async function collect(arena: SecureArena): Promise<void> {
  for (let last = -1, i = 0; i < 20; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    const now = arena.stats().quarantinedSlices;
    if (now === 0 || now === last) return;
    last = now;
  }
}

t.test('Class: SecureArena (lending)', async (t) => {
  t.test('Method: lease > a free during a lease waits for its end', async (t) => {
    const arena = new SecureArena();
    const s = arena.copyIn(Buffer.from('leased-value'));
    const view = s.lease();
    s.lease(); // a second lease on the same slice
    s.free();
    s.free(); // idempotent while pending
    t.equal(view.toString(), 'leased-value', 'unchanged while leased');
    t.match(arena.stats(), { liveSlices: 1, pendingFreeSlices: 1 });
    const other = arena.alloc(12);
    t.not(other.view.byteOffset, view.byteOffset, 'the leased block is not handed out');
    s.endLease();
    t.equal(view.toString(), 'leased-value', 'one lease left');
    s.endLease();
    s.endLease(); // more ends than leases change nothing
    t.ok(isZero(view), 'zeroed when the last lease ended');
    t.match(arena.stats(), { liveSlices: 1, pendingFreeSlices: 0, quarantinedSlices: 1 });
  });

  t.test('Method: free > a lent block is reused only after every view lent for it (and derived from it) is collected', async (t) => {
    const arena = new SecureArena();
    const s = arena.copyIn(Buffer.from('first-value-000'));
    let view: Buffer | undefined = s.lend();
    t.equal(s.lend(), view, 'one view object per slice');
    let part: Buffer | undefined = view.subarray(2, 8);
    let part2: Buffer | undefined = part.slice(1, 3);
    t.equal(part.toString(), 'rst-va');
    t.equal(part2.toString(), 'st');
    const offset = view.byteOffset;
    s.free();
    t.ok(isZero(view) && isZero(part) && isZero(part2), 'zeroed on free');
    t.equal(arena.stats().quarantinedSlices, 1);
    const next = arena.copyIn(Buffer.from('second-value-00'));
    t.not(next.view.byteOffset, offset, 'not reused while views are reachable');
    view = undefined;
    part = undefined;
    await collect(arena);
    t.equal(arena.stats().quarantinedSlices, 1, 'a derived view still holds it');
    t.ok(isZero(part2));
    part2 = undefined;
    await collect(arena);
    t.equal(arena.stats().quarantinedSlices, 0, 'released once every view is gone');
    t.equal(arena.copyIn(Buffer.from('third-value-000')).view.byteOffset, offset, 'and reused');
  });

  t.test('Method: free > a block never lent is reused at once', async (t) => {
    const arena = new SecureArena();
    const s = arena.copyIn(Buffer.from('internal'));
    const offset = s.view.byteOffset;
    s.free();
    t.equal(arena.stats().quarantinedSlices, 0);
    t.equal(arena.alloc(8).view.byteOffset, offset);
    t.equal(s.lend().length, 0, 'lending a freed slice lends nothing');
  });

  t.test('Method: truncate > after a lend, the shortened view is lent too', async (t) => {
    const arena = new SecureArena();
    const s = arena.copyIn(Buffer.from('value\n'));
    const before = s.lend();
    s.truncate(5);
    t.equal(s.view.toString(), 'value');
    t.equal(before[5], 0, 'the tail is zeroed under the old view as well');
    s.free();
    s.truncate(1); // freed: nothing to do
    t.equal(arena.stats().quarantinedSlices, 1);
  });

  t.test('regions emptied after a burst are given back; the first slab of a class stays', async (t) => {
    const arena = new SecureArena();
    const first = arena.copyIn(Buffer.alloc(64, 1));
    first.lend();
    const start = arena.stats().lockedBytes;
    let kept: Buffer[] = [];
    const slices = [];
    for (let i = 0; i < 300; i++) {
      const s = arena.copyIn(Buffer.alloc(64, 2));
      kept.push(s.lend());
      slices.push(s);
    }
    t.ok(arena.stats().lockedBytes > start, 'grew');
    for (const s of slices) s.free();
    t.equal(arena.stats().quarantinedSlices, 300);
    kept = [];
    await collect(arena);
    t.equal(kept.length, 0);
    t.match(arena.stats(), { quarantinedSlices: 0, liveSlices: 1, lockedBytes: start, regions: 1 });
    t.equal(first.view[0], 1, 'the live value is untouched');
  });

  t.test('a large value has a region of its own, given back on free; a view left on it reads as empty', async (t) => {
    const arena = new SecureArena({ maxSlabBytes: 8192 });
    const big = arena.copyIn(Buffer.alloc(5000, 7));
    let view: Buffer | undefined = big.lend();
    const before = arena.stats();
    big.free();
    t.ok(isZero(view), 'zeroed');
    await collect(arena);
    t.equal(view.length, 5000, 'still held: the region waits');
    t.equal(arena.stats().regions, before.regions);
    view = undefined;
    await collect(arena);
    t.equal(arena.stats().regions, before.regions - 1, 'given back once the view is gone');
    t.ok(arena.stats().lockedBytes < before.lockedBytes);
    const unlent = arena.alloc(6000);
    const raw = unlent.view;
    unlent.free();
    t.equal(raw.length, 0, 'freed at once (never lent): the detached view reads as empty');
  });

  t.test('Function: endLeaseWhenDone', async (t) => {
    const arena = new SecureArena();
    const s = arena.copyIn(Buffer.from('abc'));
    const other = arena.copyIn(Buffer.from('def'));
    s.lease();
    t.equal(endLeaseWhenDone(42, s), 42, 'a plain value ends the lease at once');
    s.free();
    t.ok(isZero(s.view));

    const a = arena.copyIn(Buffer.from('ghi'));
    const view = a.lease();
    other.lease();
    let open!: (v: string) => void;
    const done = endLeaseWhenDone(
      new Promise<string>((resolve) => (open = resolve)),
      a,
      other,
    );
    a.free();
    other.free();
    t.equal(view.toString(), 'ghi', 'held until the promise settles');
    open('ok');
    t.equal(await done, 'ok');
    t.ok(isZero(view) && isZero(other.view), 'both released after it settled');

    const b = arena.copyIn(Buffer.from('jkl'));
    const bView = b.lease();
    b.free();
    await t.rejects(endLeaseWhenDone(Promise.reject(new Error('fn failed')), b), { message: 'fn failed' });
    t.ok(isZero(bView), 'a rejection ends the lease too');

    const c = arena.copyIn(Buffer.from('mno'));
    const cView = c.lease();
    c.free();
    const hostile = {
      then() {
        throw new Error('then threw');
      },
    };
    t.throws(() => endLeaseWhenDone(hostile, c), { message: 'then threw' });
    t.ok(isZero(cView), 'a thenable whose then throws ends the lease');
    t.equal(endLeaseWhenDone(null, arena.alloc(1)), null);
    const fnResult = () => 1;
    t.equal(endLeaseWhenDone(fnResult, arena.alloc(1)), fnResult, 'a function without then is a plain value');
  });
});
