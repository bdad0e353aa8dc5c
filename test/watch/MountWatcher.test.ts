import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { PerFileWriter } from '../../src/testing/PerFileWriter';
import { MountWatcher } from '../../src/watch/MountWatcher';
import { tmpdir } from '../helpers/tmp';

/** A watcher whose reasons arrive on a queue that tests can await. */
function watch(t: Test, dir: string, debounceMs = 20) {
  const reasons: string[] = [];
  const errors: Error[] = [];
  let wake: (() => void) | undefined;
  const w = new MountWatcher(dir, {
    debounceMs,
    recheckMs: 0,
    onChange: (reason) => {
      reasons.push(reason);
      wake?.();
    },
    onError: (e) => errors.push(e),
  });
  // The watcher's handles never keep a process alive (by design): this interval keeps the test's alive.
  const keepAlive = setInterval(() => undefined, 1000);
  t.teardown(() => {
    clearInterval(keepAlive);
    return w.close();
  });
  /** Resolves when a reason matching `re` has been seen (at or after `from`). */
  const next = async (re: RegExp, from = 0) => {
    for (;;) {
      const i = reasons.findIndex((r, k) => k >= from && re.test(r));
      if (i >= 0) return i;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  return { w, reasons, errors, next };
}

t.test('Class: MountWatcher', async (t) => {
  t.test('a ..data swap reloads at once; scratch names are ignored', async (t) => {
    const mount = path.join(tmpdir(t), 'mount');
    const writer = new AtomicWriter(mount);
    writer.write({ A: 'one' });
    const { w, reasons, next } = watch(t, mount, 60_000);
    await w.start();
    writer.write({ A: 'two' });
    await next(/^\.\.data swapped$/);
    t.notOk(
      reasons.some((r) => /\.\.data_tmp|\.\.\d/.test(r)),
      'no reload for the writer scratch names',
    );
  });

  t.test('per-file renames are debounced into a reload', async (t) => {
    const mount = path.join(tmpdir(t), 'mount');
    const writer = new PerFileWriter(mount);
    writer.write({ A: 'one', B: 'one' });
    const { w, next } = watch(t, mount, 30);
    await w.start();
    writer.write({ A: 'two' });
    const i = await next(/^A changed$/);
    t.ok(i >= 0, 'reloaded after the quiet time, naming the file');
  });

  t.test('a deleted and recreated mount is watched again', async (t) => {
    const mount = path.join(tmpdir(t), 'mount');
    new AtomicWriter(mount).write({ A: 'one' });
    const { w, next, reasons } = watch(t, mount, 60_000);
    await w.start();
    fs.rmSync(mount, { recursive: true });
    const recreated = new AtomicWriter(mount);
    recreated.write({ A: 'two' });
    await next(/^mount recreated$/);
    const from = reasons.length;
    recreated.write({ A: 'three' });
    // Either the new watcher sees the swap, or a parent event still queued from the recreation re-arms and
    // reloads after it (a reload after re-arming reads whatever is there: nothing is missed).
    const i = await next(/^(\.\.data swapped|mount recreated)$/, from);
    t.ok(i >= from, `the write after the recreation caused a reload (${reasons[i]})`);
    // Every parent event of the recreation came before that write's event (one inotify queue): a next swap is
    // seen by the watcher on the new directory.
    const later = reasons.length;
    recreated.write({ A: 'four' });
    await next(/^\.\.data swapped$/, later);
    t.pass('the new directory is watched');
  });

  t.test('close stops every callback', async (t) => {
    const mount = path.join(tmpdir(t), 'mount');
    const writer = new AtomicWriter(mount);
    writer.write({ A: 'one' });
    const { w, reasons } = watch(t, mount, 60_000);
    await w.start();
    await w.close();
    writer.write({ A: 'two' });
    fs.rmSync(mount, { recursive: true });
    // fs.watch events are delivered on the next turns of the loop; give them those turns.
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    t.same(reasons, []);
  });

  t.test('a missing mount is reported and armed when it appears', async (t) => {
    const mount = path.join(tmpdir(t), 'mount');
    const { w, errors, next } = watch(t, mount, 60_000);
    await w.start();
    t.match(errors[0], { code: 'ENOENT' }, 'the missing directory is reported');
    new AtomicWriter(mount).write({ A: 'one' });
    await next(/^mount recreated$/);
  });
});
