import t from 'tap';
import { secrets } from '../../src/api/Secrets';
import { setRuntime } from '../../src/runtime/runtimeSlot';
import { SecretsRuntime } from '../../src/runtime/SecretsRuntime';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import type { RawValue } from '../../src/store/RawValue';

const isZero = (b: Uint8Array) => b.every((x) => x === 0);

t.test('Object: secrets (leases)', async (t) => {
  const rt = new SecretsRuntime(new SchemaValidator({ A: { format: String, default: null, sensitive: true }, B: { format: String, default: null, sensitive: true } }));
  const candidate = (a: string, b: string, previousA?: string): Map<string, RawValue> =>
    new Map<string, RawValue>([
      ['A', { slice: rt.arena.copyIn(Buffer.from(a)), source: 'test', ...(previousA ? { previous: rt.arena.copyIn(Buffer.from(previousA)) } : {}) }],
      ['B', { slice: rt.arena.copyIn(Buffer.from(b)), source: 'test' }],
    ]);
  rt.apply(candidate('a-value-1', 'b-value-1', 'a-value-0'));
  setRuntime(rt);
  t.teardown(() => setRuntime(undefined));

  t.test('Method: use > an async callback keeps its value until its promise settles, across rotations', async (t) => {
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let kept: Buffer | undefined;
    const done = secrets.use('A', async (view) => {
      kept = view;
      await gate;
      return view.toString();
    });
    rt.apply(candidate('a-value-2', 'b-value-2'));
    rt.apply(candidate('a-value-3', 'b-value-3'));
    t.equal(kept?.toString(), 'a-value-1', 'unchanged while the lease holds');
    open();
    t.equal(await done, 'a-value-1');
    t.ok(kept && isZero(kept), 'zeroed once the lease ended (the value was replaced)');
    t.equal(secrets.use('A', (v) => v.toString()), 'a-value-3');
  });

  t.test('Method: use > a sync callback that throws propagates; a thenable result is returned through then', async (t) => {
    t.throws(() => secrets.use('A', () => {
      throw new Error('fn failed');
    }), { message: 'fn failed' });
    t.equal(secrets.use('A', () => null), null);
    await t.rejects(secrets.use('A', async () => Promise.reject(new Error('async fn failed'))), { message: 'async fn failed' });
  });

  t.test('Method: useVersions > both views are leased by an async callback', async (t) => {
    rt.apply(candidate('a-value-4', 'b-value-4', 'a-value-3'));
    let open!: () => void;
    const gate = new Promise<void>((resolve) => (open = resolve));
    let views: (Buffer | undefined)[] = [];
    const done = secrets.useVersions('A', async (current, previous) => {
      views = [current, previous];
      await gate;
      return [current.toString(), previous?.toString()];
    });
    rt.apply(candidate('a-value-5', 'b-value-5'));
    t.same(views.map((v) => v?.toString()), ['a-value-4', 'a-value-3']);
    open();
    t.same(await done, ['a-value-4', 'a-value-3']);
    t.ok(views.every((v) => v && isZero(v)), 'both zeroed after the lease');
    t.same(secrets.useVersions('A', (c, p) => [c.toString(), p]), ['a-value-5', undefined]);
  });
});
