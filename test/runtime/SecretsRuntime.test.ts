import t from 'tap';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { SecretsRuntime, type RejectedEvent, type RotatedEvent } from '../../src/runtime/SecretsRuntime';
import { getRuntime, setRuntime } from '../../src/runtime/runtimeSlot';
import { secrets, typedSecrets } from '../../src/api/Secrets';
import type { RawValue } from '../../src/store/RawValue';

const schema = {
  A: { format: 'secret-utf8', default: null, sensitive: true, minBytes: 3 },
  B: { format: String, default: null },
  C: { format: String, default: 'dflt' },
};

function candidate(rt: SecretsRuntime, o: Record<string, string>): Map<string, RawValue> {
  return new Map(Object.entries(o).map(([k, v]) => [k, { slice: rt.arena.copyIn(Buffer.from(v)), source: 'test' }]));
}

t.test('Class: SecretsRuntime', async (t) => {
  const rt = new SecretsRuntime(new SchemaValidator(schema));
  const rotated: RotatedEvent[] = [];
  const rejected: RejectedEvent[] = [];
  rt.on('rotated', (e) => rotated.push(e));
  rt.on('rejected', (e) => rejected.push(e));

  t.test('an invalid first snapshot throws ValidationError and keeps nothing', async (t) => {
    t.throws(() => rt.apply(candidate(rt, { A: 'x' })), { code: 'E_VALIDATION' });
    t.equal(rt.snapshot, undefined);
    t.equal(rt.arena.stats().liveSlices, 0, 'candidate zeroed and freed');
    t.throws(() => rt.entry('A'), { code: 'E_NOT_LOADED' });
  });

  t.test('loads a valid snapshot', async (t) => {
    t.same(rt.apply(candidate(rt, { A: 'aaa', B: 'b' })), { kind: 'loaded' });
    t.equal(rt.entry('A').slice.view.toString(), 'aaa');
    t.throws(() => rt.entry('C'), { code: 'E_UNKNOWN_SECRET' }, 'an optional secret nobody provided');
    t.throws(() => rt.entry('NOPE'), { code: 'E_UNKNOWN_SECRET' });
  });

  t.test('identical bytes are no rotation', async (t) => {
    const before = rt.snapshot;
    t.same(rt.apply(candidate(rt, { A: 'aaa', B: 'b' })), { kind: 'unchanged' });
    t.equal(rt.snapshot, before);
    t.equal(rotated.length, 0);
  });

  t.test('a valid change swaps the whole snapshot and names what changed', async (t) => {
    const old = rt.snapshot!;
    const oldView = old.values.get('A')!.slice.view;
    const v1 = rt.entry('A').version;
    t.same(rt.apply(candidate(rt, { A: 'bbb', B: 'b' })), { kind: 'rotated', names: ['A'] });
    t.not(rt.snapshot, old);
    t.equal(rt.entry('A').slice.view.toString(), 'bbb');
    t.not(rt.entry('A').version, v1);
    t.equal(rotated[0]?.names.join(), 'A');
    t.equal(rotated[0]?.versions.A, rt.entry('A').version);
    t.ok(oldView.every((b) => b === 0) || oldView.byteOffset !== rt.entry('A').slice.view.byteOffset, 'old value zeroed (or block reused)');
  });

  t.test('an invalid rotation is rejected once; the last good snapshot stays', async (t) => {
    const good = rt.snapshot;
    const out = rt.apply(candidate(rt, { A: 'x', B: 'b' }));
    t.equal(out.kind, 'rejected');
    t.equal(rt.snapshot, good);
    t.equal(rejected.length, 1);
    t.same(rejected[0]?.names, ['A']);
    t.match(rejected[0]?.reason, /A: must be at least 3 bytes/);
    const again = rt.apply(candidate(rt, { A: 'x', B: 'b' }));
    t.match(again, { kind: 'rejected', isRepeat: true });
    t.equal(rejected.length, 1, 'the same bad content is reported once');
    rt.apply(candidate(rt, { A: 'aaa', B: 'b', C: 'c' }), [{ name: 'B', reason: 'file B is not a regular file' }]);
    t.equal(rejected.length, 2, 'read problems reject too');
    t.equal(rt.entry('A').slice.view.toString(), 'bbb');
  });

  t.test('removed and added names count as changed', async (t) => {
    t.same(rt.apply(candidate(rt, { A: 'bbb', B: 'b', C: 'new' })), { kind: 'rotated', names: ['C'] });
    t.same(rt.apply(candidate(rt, { A: 'bbb', B: 'b' })), { kind: 'rotated', names: ['C'] });
  });

  t.test('facade: secrets.* reads the published runtime', async (t) => {
    t.throws(() => secrets.use('A', () => 1), { code: 'E_NOT_LOADED' });
    t.equal(secrets.isLoaded, false);
    t.same(secrets.names(), []);
    setRuntime(rt);
    t.teardown(() => setRuntime(undefined));
    t.equal(getRuntime(), rt);
    const typed = typedSecrets<typeof schema>();
    t.equal(typed.use('A', (v) => v.toString()), 'bbb');
    t.equal(typed.reveal('B'), 'b');
    t.equal(typed.version('A'), rt.entry('A').version);
    t.ok(typed.has('A'));
    t.notOk(typed.has('C'));
    t.same(typed.names().sort(), ['A', 'B']);
    t.equal(typed.isLoaded, true);
    let seen = 0;
    const l = () => seen++;
    typed.on('rotated', l);
    typed.once('rejected', l);
    rt.apply(candidate(rt, { A: 'ccc', B: 'b' }));
    typed.off('rotated', l);
    rt.apply(candidate(rt, { A: 'ddd', B: 'b' }));
    t.equal(seen, 1);
    t.equal(String(secrets), '[secrets]');
    t.equal(JSON.stringify({ secrets }), '{"secrets":"[secrets]"}');
    t.equal(require('node:util').inspect(secrets), '[secrets]');
  });

  t.test('zeroAll wipes every value', async (t) => {
    const view = rt.entry('A').slice.view;
    rt.zeroAll();
    t.ok(view.every((b) => b === 0));
  });
});

t.test('useVersions lends current and previous when the source has both', async (t) => {
  const rt = new SecretsRuntime(new SchemaValidator({ K: { format: 'secret', default: null }, L: { format: 'secret', default: null } }));
  const values = new Map<string, RawValue>([
    ['K', { slice: rt.arena.copyIn(Buffer.from('new')), previous: rt.arena.copyIn(Buffer.from('old')), source: 'file:///m' }],
    ['L', { slice: rt.arena.copyIn(Buffer.from('only')), source: 'file:///m' }],
  ]);
  rt.apply(values);
  setRuntime(rt);
  t.teardown(() => setRuntime(undefined));
  t.same(secrets.useVersions('K', (c, p) => [c.toString(), p?.toString()]), ['new', 'old']);
  t.same(secrets.useVersions('L', (c, p) => [c.toString(), p]), ['only', undefined]);
  const prev = rt.entry('K').previous!.view;
  rt.apply(new Map([['K', { slice: rt.arena.copyIn(Buffer.from('newer')), source: 'file:///m' }], ['L', { slice: rt.arena.copyIn(Buffer.from('only')), source: 'file:///m' }]]));
  t.ok(prev.every((b) => b === 0) || rt.entry('K').slice.view.byteOffset === prev.byteOffset, 'the replaced previous version is zeroed');
});
