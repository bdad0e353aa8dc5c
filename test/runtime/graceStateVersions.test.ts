import { once } from 'node:events';
import t from 'tap';
import { secrets } from '../../src/api/Secrets';
import { KeyedDigest } from '../../src/memory/KeyedDigest';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { SecretsRuntime } from '../../src/runtime/SecretsRuntime';
import { getRuntime, setRuntime } from '../../src/runtime/runtimeSlot';
import type { RawValue } from '../../src/store/RawValue';

const schema = { KEY: { format: 'secret', default: null, sensitive: true, minBytes: 3 } };
function candidate(rt: SecretsRuntime, o: Record<string, string>): Map<string, RawValue> {
  return new Map(Object.entries(o).map(([k, v]) => [k, { slice: rt.arena.copyIn(Buffer.from(v)), source: 'test' }]));
}
const text = (b: Buffer | undefined) => b?.toString('utf8');

t.test('Grace: the replaced value stays readable as previous, then is zeroed', async (t) => {
  const previous = getRuntime();
  t.teardown(() => setRuntime(previous));
  const rt = new SecretsRuntime(new SchemaValidator(schema));
  t.teardown(() => rt.zeroAll());
  setRuntime(rt);
  rt.graceMs = 60_000;
  rt.apply(candidate(rt, { KEY: 'key-1' }));
  t.same(secrets.useVersions('KEY', (c, p) => [text(c), text(p)]), ['key-1', undefined], 'nothing before a rotation');
  rt.apply(candidate(rt, { KEY: 'key-2' }));
  t.same(secrets.useVersions('KEY', (c, p) => [text(c), text(p)]), ['key-2', 'key-1'], 'either key verifies after a hot-swap');
  rt.apply(candidate(rt, { KEY: 'key-3' }));
  t.same(secrets.useVersions('KEY', (c, p) => [text(c), text(p)]), ['key-3', 'key-2'], 'a newer rotation replaces the kept one');
  t.equal(rt.apply(candidate(rt, { KEY: 'x' })).kind, 'rejected');
  t.same(secrets.useVersions('KEY', (c, p) => [text(c), text(p)]), ['key-3', 'key-2'], 'a rejected candidate changes nothing');

  rt.graceMs = 1;
  rt.apply(candidate(rt, { KEY: 'key-4' }));
  const kept = rt.previousOf('KEY')!.view;
  t.equal(text(kept), 'key-3');
  await once(rt, 'grace-ended');
  t.ok(kept.every((b) => b === 0), 'zeroed when the grace ends');
  t.equal(rt.previousOf('KEY'), undefined, 'and gone');
});

t.test('Grace: off with graceMs 0; a source-kept previous version wins', async (t) => {
  const rt = new SecretsRuntime(new SchemaValidator(schema));
  t.teardown(() => rt.zeroAll());
  rt.apply(candidate(rt, { KEY: 'key-1' }));
  rt.apply(candidate(rt, { KEY: 'key-2' }));
  t.equal(rt.previousOf('KEY'), undefined);
  rt.graceMs = 60_000;
  const c = candidate(rt, { KEY: 'key-3' });
  c.get('KEY')!.previous = rt.arena.copyIn(Buffer.from('from-source'));
  rt.apply(c);
  t.equal(text(rt.previousOf('KEY')?.view), 'from-source');
});

t.test('State: loaded, rejected, degraded; last change only when values change', async (t) => {
  const rt = new SecretsRuntime(new SchemaValidator(schema));
  t.teardown(() => rt.zeroAll());
  t.match(rt.state, { status: 'loaded', lastChange: undefined, snapshotId: undefined });
  rt.apply(candidate(rt, { KEY: 'key-1' }));
  const loaded = rt.state;
  t.ok(loaded.lastChange instanceof Date);
  t.equal(loaded.snapshotId, rt.snapshot!.id);
  rt.apply(candidate(rt, { KEY: 'key-1' }));
  t.equal(rt.state.lastChange, loaded.lastChange, 'identical bytes: no change');
  rt.apply(candidate(rt, { KEY: 'x' }));
  t.match(rt.state, { status: 'rejected', reason: /KEY: must be at least 3 bytes/ });
  t.notMatch(JSON.stringify(rt.state), /key-1/);
  rt.setStatus('degraded', 'E_PROVIDER_UNAVAILABLE');
  t.match(rt.state, { status: 'degraded', reason: 'E_PROVIDER_UNAVAILABLE' });
  rt.apply(candidate(rt, { KEY: 'key-2' }));
  t.match(rt.state, { status: 'loaded', snapshotId: rt.snapshot!.id });
  t.equal(rt.state.reason, undefined);
  t.ok(rt.state.lastChange! >= loaded.lastChange!);
});

t.test('Versions: the same deployment key gives the same ids; none or another key does not', async (t) => {
  const material = Buffer.from('0123456789abcdef0123456789abcdef');
  const value = Buffer.from('low-entropy');
  const a = new KeyedDigest(material);
  const b = new KeyedDigest(Buffer.from(material));
  t.equal(a.of(value), b.of(value), 'comparable across replicas');
  t.not(new KeyedDigest(Buffer.from('another-key-material-000')).of(value), a.of(value));
  t.not(new KeyedDigest().of(value), new KeyedDigest().of(value), 'random per process without a key');
  t.throws(() => new KeyedDigest(Buffer.from('short')), RangeError);
  const rt = new SecretsRuntime(new SchemaValidator(schema), { digestKey: material });
  const rt2 = new SecretsRuntime(new SchemaValidator(schema), { digestKey: material });
  t.teardown(() => (rt.zeroAll(), rt2.zeroAll()));
  rt.apply(candidate(rt, { KEY: 'same-value' }));
  rt2.apply(candidate(rt2, { KEY: 'same-value' }));
  t.equal(rt.entry('KEY').version, rt2.entry('KEY').version);
});
