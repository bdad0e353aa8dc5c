// A preload watching a real tmpfs that is unmounted and mounted again at the same path keeps hot-swapping, and
// says so in its log. The periodic re-read is off, so only the re-armed watcher can see the new values.
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { plantValue } from '../helpers/peers';
import { REQUIRED, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';
import { mountTmpfs, requireRoot, unmount } from '../helpers/tmpfs';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
type State = Record<string, { sha256: string }>;

t.test('Preload: a remounted tmpfs is watched again and logged', async (t) => {
  if (!requireRoot(t)) return;
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  fs.mkdirSync(mount);
  mountTmpfs(t, mount);
  const v1 = plantValue();
  new AtomicWriter(mount).write({ A: v1 });
  const schema = writeSchema(dir, { A: REQUIRED });
  const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_RECHECK_MS: '0' });
  await s.waitFor((e) => e.event === 'watching', 15_000);

  const logged = new Promise<Record<string, unknown>>((resolve) => {
    const look = () => {
      const line = s.stderr().split('\n').find((l) => l.includes('mount remounted'));
      if (!line) return;
      s.child.stderr!.off('data', look);
      resolve(JSON.parse(line) as Record<string, unknown>);
    };
    s.child.stderr!.on('data', look);
  });
  unmount(mount);
  mountTmpfs(t, mount);
  const mountedAt = performance.now();
  const record = await logged;
  t.comment(`remount logged ${Math.round(performance.now() - mountedAt)} ms after mount(8) returned (default check every 500 ms)`);
  t.match(record, { level: 40, dir: mount, msg: /watcher re-armed/ }, 'a warning names the mount');

  const v2 = plantValue();
  new AtomicWriter(mount).write({ A: v2 });
  const second = await s.waitFor((e) => e.event === 'rotated' && (e.state as State).A?.sha256 === sha(v2), 15_000);
  t.same(second.names, ['A'], 'the value written after the remount is swapped in');
  const v3 = plantValue();
  new AtomicWriter(mount).write({ A: v3 });
  await s.waitFor((e) => e.event === 'rotated' && (e.state as State).A?.sha256 === sha(v3), 15_000);
  t.pass('and the next one: the watcher is live on the new filesystem');

  s.send({ op: 'exit' });
  await s.exited;
  for (const v of [v1, v2, v3]) t.notOk(s.stdout().includes(v) || s.stderr().includes(v), 'no value in any output');
});
