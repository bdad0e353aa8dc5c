// A real tmpfs unmounted and mounted again at the same path (what a CSI driver restart on the node does): the
// watcher must notice and re-arm. Needs root for mount(8); without it the test fails and says so.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { MountWatcher } from '../../src/watch/MountWatcher';
import { tmpdir } from '../helpers/tmp';
import { isMounted, mountTmpfs, requireRoot, unmount } from '../helpers/tmpfs';

t.test('Class: MountWatcher', async (t) => {
  t.test('re-arms within a second when the mount is unmounted and mounted again at the same path', async (t) => {
    if (!requireRoot(t)) return;
    const mount = path.join(tmpdir(t), 'mount');
    fs.mkdirSync(mount);
    mountTmpfs(t, mount);
    new AtomicWriter(mount).write({ A: 'one' });
    const before = fs.statSync(mount, { bigint: true });

    const reasons: string[] = [];
    const remounts: number[] = [];
    let waiter: { pred: () => boolean; resolve: () => void } | undefined;
    const check = () => {
      if (waiter?.pred()) {
        waiter.resolve();
        waiter = undefined;
      }
    };
    const until = (pred: () => boolean, what: string, ms = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; reasons: ${reasons.join(', ')}`)), ms);
        waiter = {
          pred,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        };
        check();
      });
    const w = new MountWatcher(mount, {
      debounceMs: 20,
      recheckMs: 0,
      remountCheckMs: 100,
      onChange: (reason) => {
        reasons.push(reason);
        check();
      },
      onRemount: () => {
        remounts.push(performance.now());
        check();
      },
    });
    t.teardown(() => w.close());
    await w.start();

    // Control: the armed watcher sees a ..data swap.
    new AtomicWriter(mount).write({ A: 'two' });
    await until(() => reasons.includes('..data swapped'), 'the first swap');

    // Unmount and mount a new tmpfs at once: the parent directory sees nothing.
    reasons.length = 0;
    unmount(mount);
    mountTmpfs(t, mount);
    const mountedAt = performance.now();
    const after = fs.statSync(mount, { bigint: true });
    t.comment(`identity before ${before.dev}:${before.ino}, after ${after.dev}:${after.ino} (birth time differs: ${before.birthtimeNs !== after.birthtimeNs})`);
    await until(() => remounts.length > 0 && reasons.includes('mount remounted, watcher ready'), 'the re-arm');
    t.ok(reasons.includes('mount remounted'), 'a reload when the remount is found');
    t.comment(`remount detected ${Math.round(remounts[0]! - mountedAt)} ms after mount(8) returned (check every 100 ms)`);

    // The re-armed watcher sees writes into the new filesystem.
    reasons.length = 0;
    new AtomicWriter(mount).write({ A: 'three' });
    await until(() => reasons.includes('..data swapped'), 'a swap on the new mount');
    reasons.length = 0;
    new AtomicWriter(mount).write({ A: 'four' });
    await until(() => reasons.includes('..data swapped'), 'a second swap on the new mount');
    t.equal(remounts.length, 1, 'one remount reported');
    t.ok(isMounted(mount), 'the new tmpfs is still mounted');
  });
});
