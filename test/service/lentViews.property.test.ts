// Property: a view lent by this library shows the bytes of the value it was lent for, or zeros — never another
// value, in particular never another tenant's — at every step of random interleavings of: sync and async use
// (service and preload), views kept past their lease (whole and subarrays), set, preload rotation, cache
// invalidation, LRU eviction under a small maxEntries, and forced GC (which lets quarantined blocks be reused).
// An async callback also checks, after each of its awaits, that its value has not changed (the lease).
//
// One world serves every run (50 tenants x 3 secrets behind a 16-entry cache, 5 preload secrets), so runs are
// cheap; every value has the same length, so a freed block is exactly what the next value needs.
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import fc from 'fast-check';
import t from 'tap';
import { Policy } from '../../src/access';
import { AuditTrail } from '../../src/audit';
import { secrets } from '../../src/api/Secrets';
import { SecretCache } from '../../src/cache';
import { SecureArena } from '../../src/memory/SecureArena';
import { setRuntime } from '../../src/runtime/runtimeSlot';
import { SecretsRuntime } from '../../src/runtime/SecretsRuntime';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { createSecretsService, InMemoryProvider } from '../../src/service';
import type { RawValue } from '../../src/store/RawValue';
import { ctxOf, hmac } from './fixtures/serviceKit';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const TENANTS = Array.from({ length: 50 }, (_, i) => `t${String(i).padStart(2, '0')}`);
const NAMES = ['K0', 'K1', 'K2'];
const PRELOAD = ['P0', 'P1', 'P2', 'P3', 'P4'];
const VALUE_BYTES = 40;
const MAX_KEPT = 64;
const RUNS = 10_000;

let generation = 0;
/** A unique value of fixed length that names its owner (so a wrong read is recognisable). */
const valueOf = (owner: string) => Buffer.from(`${owner}|${++generation}|`.padEnd(VALUE_BYTES, '#'));

t.test('Property: every lent view reads its own value or zeros, across tenants, leases, rotations and GC', async (t) => {
  const provider = new InMemoryProvider();
  const arena = new SecureArena();
  const cache = new SecretCache({ arena, maxEntries: 16, ttlMs: 3_600_000, pruneIntervalMs: 0 });
  const trail = new AuditTrail({ sink: { type: 'stream', stream: { write: () => undefined } }, hmac, failClosed: true });
  const service = createSecretsService({
    providers: provider,
    policy: new Policy({ version: 1, roles: { platform: { crossTenant: true, grants: [{ permissions: ['secrets:read', 'secrets:write'] }] } } }),
    audit: trail,
    cache,
    environment: 'test',
    prefix: 'vc',
  });
  t.teardown(() => {
    service.close();
    cache.close();
    setRuntime(undefined);
  });
  const ops = ctxOf('ops', ['platform']);
  for (const tenant of TENANTS) for (const name of NAMES) await provider.put(`${service.tenantsPath}${tenant}/${name}`, valueOf(`${tenant}/${name}`));

  const rt = new SecretsRuntime(new SchemaValidator(Object.fromEntries(PRELOAD.map((n) => [n, { format: String, default: null, sensitive: true }]))));
  const current = new Map<string, Buffer>();
  const candidate = (changed: string | undefined): Map<string, RawValue> => {
    const values = new Map<string, RawValue>();
    for (const n of PRELOAD) {
      if (n === changed || !current.has(n)) current.set(n, valueOf(`preload/${n}`));
      values.set(n, { slice: rt.arena.copyIn(current.get(n)!), source: 'test' });
    }
    return values;
  };
  rt.apply(candidate(undefined));
  setRuntime(rt);

  /** Every view still held: the view, a copy of its value taken inside the lease, and whether a lease holds. */
  const kept: { view: Buffer; value: Buffer; isLeased: boolean }[] = [];
  const pending = new Set<Promise<unknown>>();
  const problems: string[] = [];
  let checks = 0;

  const keep = (view: Buffer, isLeased = false) => {
    const entry = { view, value: Buffer.from(view), isLeased };
    kept.push(entry);
    // A subarray taken from a lent view is held (and checked) too.
    if (!isLeased && view.length > 8) kept.push({ view: view.subarray(3, 19), value: Buffer.from(view.subarray(3, 19)), isLeased: false });
    // Dropping the oldest views makes them unreachable: after a GC, their blocks may be reused.
    if (kept.length > MAX_KEPT) kept.splice(0, kept.length - MAX_KEPT);
    return entry;
  };
  const checkAll = (step: string) => {
    checks++;
    for (const k of kept) {
      if (k.view.equals(k.value)) continue;
      if (k.isLeased) problems.push(`${step}: a leased view changed`);
      else if (!k.view.every((b) => b === 0)) problems.push(`${step}: a kept view shows another value`);
    }
  };
  /** An async callback: holds its lease over `awaits` turns of the event loop, checking its bytes after each. */
  const asyncFn = (awaits: number) => async (view: Buffer) => {
    const entry = keep(view, true);
    for (let i = 0; i < awaits; i++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (!view.equals(entry.value)) problems.push('an async callback saw its value change during its lease');
    }
    entry.isLeased = false;
  };
  const track = (p: Promise<unknown>) => {
    const settled = p.then(
      () => undefined,
      (error: unknown) => void problems.push(`an async use failed: ${String((error as Error)?.message)}`),
    );
    pending.add(settled);
    void settled.then(() => pending.delete(settled));
  };

  const tenantArb = fc.constantFrom(...TENANTS);
  const nameArb = fc.constantFrom(...NAMES);
  const opArb = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('use' as const), tenant: tenantArb, name: nameArb }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('useAsync' as const), tenant: tenantArb, name: nameArb, awaits: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('set' as const), tenant: tenantArb, name: nameArb }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('preloadUse' as const), name: fc.constantFrom(...PRELOAD) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('preloadAsync' as const), name: fc.constantFrom(...PRELOAD), awaits: fc.integer({ min: 0, max: 3 }) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('rotate' as const), name: fc.constantFrom(...PRELOAD) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('invalidate' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('drop' as const), count: fc.integer({ min: 1, max: 50 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('tick' as const) }) },
  );
  let gcs = 0;
  let released = 0;
  let runs = 0;
  const started = Date.now();
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 4 }), async (steps) => {
      runs++;
      for (const op of steps) {
        switch (op.kind) {
          case 'use':
            await service.use(ops, op.tenant, op.name, (view) => void keep(view));
            break;
          case 'useAsync':
            track(service.use(ops, op.tenant, op.name, asyncFn(op.awaits)));
            break;
          case 'set':
            await service.set(ops, op.tenant, op.name, valueOf(`${op.tenant}/${op.name}`));
            break;
          case 'preloadUse':
            secrets.use(op.name, (view) => void keep(view));
            break;
          case 'preloadAsync':
            track(secrets.use(op.name, asyncFn(op.awaits)));
            break;
          case 'rotate':
            rt.apply(candidate(op.name));
            break;
          case 'invalidate':
            cache.clear();
            break;
          case 'drop':
            kept.splice(0, Math.min(op.count, kept.filter((k) => !k.isLeased).length));
            break;
          case 'tick':
            await new Promise((resolve) => setImmediate(resolve));
            break;
        }
        checkAll(op.kind);
      }
      // A forced GC every 150 runs: the views dropped so far are collected and their blocks go back into use.
      if (runs % 150 === 0) {
        gcs++;
        const before = arena.stats().quarantinedSlices + rt.arena.stats().quarantinedSlices;
        gc();
        await new Promise((resolve) => setImmediate(resolve));
        released += Math.max(0, before - arena.stats().quarantinedSlices - rt.arena.stats().quarantinedSlices);
        checkAll('gc');
      }
      if (runs % 10 === 0) await Promise.all(pending);
      return problems.length === 0;
    }),
    { numRuns: RUNS },
  );
  await Promise.all(pending);
  checkAll('end');
  t.same(problems.slice(0, 5), [], 'no view ever read another value, no lease saw a change');
  t.ok(checks >= RUNS, `${runs} runs, ${checks} checks of up to ${MAX_KEPT} views, ${gcs} forced GCs, ${((Date.now() - started) / 1000).toFixed(1)} s`);
  t.ok(gcs >= 50 && released >= 500, `${released} held-back blocks went back into use after ${gcs} forced GCs`);
});
