// Lent views under the real preload (`node -r ./register.js`): a view of A_TOKEN kept after its `use` returned
// never shows B's value when B rotates (it reads A's value, then zeros), and an async callback's value stays
// readable and unchanged until its promise settles, even when A itself rotates meanwhile.
import * as path from 'node:path';
import t from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { plantValue } from '../helpers/peers';
import { REQUIRED, ROOT, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const APP = path.join(ROOT, 'test', 'fixtures', 'lentViews.js');

t.test('preload: kept views and async leases across rotations', async (t) => {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  // Same length for every value: a freed block of A is exactly the size a new B needs.
  let values: Record<string, string> = { A_TOKEN: plantValue(), B_TOKEN: plantValue(), C_TOKEN: plantValue() };
  const writer = new AtomicWriter(mount);
  writer.write(values);
  const schema = writeSchema(dir, { A_TOKEN: REQUIRED, B_TOKEN: REQUIRED, C_TOKEN: REQUIRED });
  const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_DEBOUNCE_MS: '50' }, { script: APP });
  await s.waitFor((e) => e.event === 'watching', 10_000);
  let rotations = 0;
  const rotate = async (name: string) => {
    values = { ...values, [name]: plantValue() };
    writer.write(values);
    rotations++;
    await s.waitFor((e) => e.event === 'rotated' && s.events.filter((x) => x.event === 'rotated').length >= rotations, 10_000);
  };
  let checks = 0;
  const check = async () => {
    s.send({ op: 'check' });
    checks++;
    const e = await s.waitFor((x) => x.event === 'checked' && s.events.filter((y) => y.event === 'checked').length >= checks);
    return e.results as string[];
  };

  s.send({ op: 'keep', name: 'A_TOKEN' });
  await s.waitFor((e) => e.event === 'kept');
  s.send({ op: 'lease', name: 'A_TOKEN', id: 1 });
  await s.waitFor((e) => e.event === 'leased' && e.id === 1);
  t.same(await check(), ['own', 'own', 'own'], 'before any rotation every view reads its value');

  await rotate('A_TOKEN'); // A's old block: leased by the async callback
  const afterA = await check();
  t.equal(afterA[2], 'own', 'the leased value is unchanged although A rotated');
  for (let i = 0; i < 6; i++) {
    await rotate(i % 2 === 0 ? 'B_TOKEN' : 'C_TOKEN');
    const results = await check();
    t.notOk(results.includes('other'), `after rotation ${i + 2}: every kept view reads its own value or zeros (${results.join(',')})`);
    t.equal(results[2], 'own', 'the lease still holds');
  }
  s.send({ op: 'release', id: 1 });
  const done = await s.waitFor((e) => e.event === 'lease-done' && e.id === 1);
  t.equal(done.isUnchanged, true, 'the callback saw the same bytes after every await');
  for (let i = 0; i < 4; i++) {
    await rotate('B_TOKEN');
    const results = await check();
    t.notOk(results.includes('other'), `lease over, B rotated: ${results.join(',')}`);
  }
  t.same(await check(), ['zero', 'zero', 'zero'], 'A rotated long ago: its kept views read zeros');
  s.send({ op: 'exit' });
  await s.exited;
  for (const v of Object.values(values)) t.notOk(s.stdout().includes(v) || s.stderr().includes(v), 'no value in the output');
});
