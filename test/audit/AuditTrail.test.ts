import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { closeSync, appendFileSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import t from 'tap';
import { AuditHmac, AuditTrail, verifyAuditLog, type AuditEvent, type AuditEventInput, type AuditTrailOptions } from '../../src/audit';
import { AuditWriteError, ConfigError } from '../../src/errors';

const KEY = randomBytes(32);
const hmac = new AuditHmac({ key: KEY });
const actor = { id: 'alice', roles: ['billing'] };
const base: AuditEventInput = { requestId: 'req-1', actor, tenant: 'acme', action: 'secrets.get', name: 'STRIPE_KEY', outcome: 'allowed' };
const FIELDS = ['v', 'seq', 'time', 'requestId', 'actor', 'tenant', 'action', 'secret', 'version', 'outcome', 'reason', 'provider', 'durationMs', 'cache', 'crossTenant', 'prev', 'hash'];

let dirCount = 0;
const root = mkdtempSync(join(tmpdir(), 'audit-trail-'));
const freshDir = (): string => {
  const dir = join(root, String(dirCount++));
  mkdirSync(dir);
  return dir;
};
const readEvents = (path: string): AuditEvent[] =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as AuditEvent);

/** Captures the operational logger's error calls. */
function captureLogger(): { logger: NonNullable<AuditTrailOptions['logger']>; entries: { obj: Record<string, unknown>; msg: string }[] } {
  const entries: { obj: Record<string, unknown>; msg: string }[] = [];
  return { entries, logger: { error: (obj, msg) => entries.push({ obj: obj as Record<string, unknown>, msg }) } };
}

const fileTrail = (path: string, extra: Partial<AuditTrailOptions> = {}): AuditTrail => new AuditTrail({ sink: { type: 'file', path }, hmac, failClosed: true, ...extra });

t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('Class: AuditTrail', async (t) => {
  t.test('Method: record', async (t) => {
    t.test('writes one JSON line per event with every schema field, in schema order', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path, { clock: () => Date.UTC(2025, 0, 2, 3, 4, 5, 6) });
      await trail.record({ ...base, version: 'v3', provider: 'aws', durationMs: 0.0123456, cache: 'hit', crossTenant: false });
      await trail.close();
      const lines = readFileSync(path, 'utf8').split('\n');
      t.equal(lines.length, 2, 'one line and the final newline');
      const event = JSON.parse(lines[0] as string) as AuditEvent;
      t.same(Object.keys(event), FIELDS);
      t.match(event, {
        v: 1,
        seq: 1,
        time: '2025-01-02T03:04:05.006Z',
        requestId: 'req-1',
        actor: { id: 'alice', roles: ['billing'] },
        tenant: 'acme',
        action: 'secrets.get',
        secret: hmac.reference('STRIPE_KEY'),
        version: 'v3',
        outcome: 'allowed',
        reason: null,
        provider: 'aws',
        durationMs: 0.012,
        cache: 'hit',
        crossTenant: false,
        prev: '0'.repeat(64),
      });
      t.match(event.hash, /^[0-9a-f]{64}$/);
      t.notOk(lines[0]?.includes('STRIPE_KEY'), 'the name is not in the log');
    });

    t.test('fills null and defaults for what the input leaves out', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path);
      await trail.record({ actor, action: 'audit.read', outcome: 'allowed' });
      t.match(readEvents(path)[0], { requestId: null, tenant: null, secret: null, version: null, reason: null, provider: null, durationMs: null, cache: 'none', crossTenant: false });
      await trail.close();
    });

    t.test('chains events: seq +1 and prev = hash of the event before', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path);
      for (let i = 0; i < 5; i++) await trail.record({ ...base, requestId: `r${i}` });
      const events = readEvents(path);
      t.same(events.map((e) => e.seq), [1, 2, 3, 4, 5]);
      for (let i = 1; i < 5; i++) t.equal(events[i]?.prev, events[i - 1]?.hash);
      t.same(trail.head(), { seq: 5, hash: events[4]?.hash });
      t.match(await verifyAuditLog(path), { ok: true, count: 5 });
      await trail.close();
    });

    t.test('keeps the chain in call order under concurrency', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path);
      const calls = Array.from({ length: 2000 }, async (_, i) => {
        await new Promise((resolve) => setImmediate(resolve));
        if (i % 3 === 0) await Promise.resolve();
        await trail.record({ ...base, requestId: `r${i}` });
      });
      await Promise.all(calls);
      t.match(await verifyAuditLog(path), { ok: true, count: 2000 });
      t.same(readEvents(path).map((e) => e.seq), Array.from({ length: 2000 }, (_, i) => i + 1));
      await trail.close();
    });

    t.test('keeps secret names in clear only when allow-listed', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path, { clearNames: ['LOG_LEVEL'] });
      await trail.record({ ...base, name: 'LOG_LEVEL' });
      await trail.record({ ...base, name: 'STRIPE_KEY' });
      await trail.record({ ...base, name: '../LOG_LEVEL' });
      const byFunction = fileTrail(join(freshDir(), 'audit.jsonl'), { clearNames: (n) => n.startsWith('PUBLIC_') });
      await byFunction.record({ ...base, name: 'PUBLIC_URL' });
      t.same(readEvents(path).map((e) => e.secret), ['LOG_LEVEL', hmac.reference('STRIPE_KEY'), hmac.reference('../LOG_LEVEL')]);
      await trail.close();
      await byFunction.close();
    });

    t.test('drops every field outside the schema: a value passed in is never written', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path);
      const value = randomBytes(24).toString('base64url');
      await trail.record({ ...base, value, token: value, headers: { authorization: value }, actor: { ...actor, password: value } } as AuditEventInput);
      const text = readFileSync(path, 'utf8');
      t.notOk(text.includes(value), 'the value is not in the file');
      t.same(Object.keys(JSON.parse(text) as object), FIELDS);
      t.same((JSON.parse(text) as AuditEvent).actor, { id: 'alice', roles: ['billing'] });
      await trail.close();
    });

    t.test('records clear fields that fail their pattern as references, and drops non-strings', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path);
      const hostile = {
        requestId: 'r1\n{"seq":1}',
        actor: { id: 'eve smith', roles: ['ok', 'r\u00f4le', 42 as unknown as string] },
        tenant: '../acme',
        version: 'v 1',
        reason: 'caf\u00e9',
        provider: 'AWS',
      };
      await trail.record({ ...base, ...hostile });
      await trail.record({ ...base, requestId: 7 as unknown as string, version: {} as string, durationMs: Number.NaN });
      await trail.record({ ...base, durationMs: -1, crossTenant: 'yes' as unknown as boolean });
      const [a, b, c] = readEvents(path);
      t.match(a, {
        requestId: hmac.reference(hostile.requestId),
        actor: { id: hmac.reference('eve smith'), roles: ['ok', hmac.reference('r\u00f4le')] },
        tenant: hmac.reference('../acme'),
        version: hmac.reference('v 1'),
        reason: hmac.reference('caf\u00e9'),
        provider: hmac.reference('AWS'),
      });
      t.match(b, { requestId: null, version: null, durationMs: null });
      t.match(c, { durationMs: null, crossTenant: false });
      t.equal(readFileSync(path, 'utf8').split('\n').length, 4, 'no injected line');
      await trail.close();
    });

    t.test('throws TypeError for an invalid action, outcome or cache state', async (t) => {
      const trail = fileTrail(join(freshDir(), 'audit.jsonl'));
      t.throws(() => trail.record({ ...base, action: 'secrets.GET' as 'secrets.get' }), TypeError);
      t.throws(() => trail.record({ ...base, action: 'sudo' as 'secrets.get' }), TypeError);
      t.throws(() => trail.record({ ...base, outcome: 'ok' as 'allowed' }), TypeError);
      t.throws(() => trail.recordSync({ ...base, cache: 'warm' as 'hit' }), TypeError);
      await trail.record({ ...base, action: 'secrets.rotate.promote' });
      await trail.record({ ...base, action: 'secrets.reveal' as 'secrets.get' });
      t.equal(trail.head().seq, 2);
      await trail.close();
    });

    t.test('never writes planted secret values, across every kind of call', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = fileTrail(path, { clearNames: ['LOG_LEVEL'] });
      const planted: string[] = [];
      const actions = ['secrets.get', 'secrets.use', 'secrets.set', 'secrets.delete', 'secrets.list', 'secrets.versions', 'secrets.rollback', 'secrets.rotate.stage', 'audit.read'] as const;
      for (let i = 0; i < 500; i++) {
        const value = randomBytes(8 + (i % 40)).toString(i % 2 === 0 ? 'base64' : 'hex');
        const sensitiveName = `NAME_${randomBytes(12).toString('hex')}`;
        planted.push(value, sensitiveName);
        const input = {
          ...base,
          requestId: `req-${i}`,
          action: actions[i % actions.length],
          name: sensitiveName,
          outcome: (['allowed', 'denied', 'failed'] as const)[i % 3],
          cache: (['hit', 'miss', 'stale', 'none'] as const)[i % 4],
          value,
          secretValue: Buffer.from(value),
          previousValue: value,
          error: new Error(`boom ${value}`),
          ctx: { headers: { 'x-vault-token': value } },
        } as AuditEventInput;
        if (i % 2 === 0) trail.recordSync(input);
        else await trail.record(input);
      }
      await trail.close();
      const text = readFileSync(path, 'utf8');
      t.equal(text.split('\n').length, 501);
      t.equal(planted.filter((v) => text.includes(v)).length, 0, 'no planted value or sensitive name is in the file');
      t.match(await verifyAuditLog(path), { ok: true, count: 500 });
    });
  });

  t.test('Method: open', async (t) => {
    t.test('reads where the file\'s chain ends before the first event', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const first = fileTrail(path);
      await first.record(base);
      await first.close();
      const second = fileTrail(path, { failClosed: false });
      second.open();
      t.same(second.head(), first.head());
      await second.close();
    });
    t.test('throws AuditWriteError on a bad sink, even when failing open', async (t) => {
      t.throws(() => fileTrail(freshDir(), { failClosed: false }).open(), { name: 'AuditWriteError', message: /cannot be opened \(EISDIR\)/ });
    });
  });

  t.test('continues the chain of an existing file', async (t) => {
    const path = join(freshDir(), 'audit.jsonl');
    const first = fileTrail(path);
    for (let i = 0; i < 3; i++) await first.record(base);
    await first.close();
    const second = fileTrail(path);
    t.same(second.head(), { seq: 0, hash: '0'.repeat(64) }, 'the file is read on first use');
    for (let i = 0; i < 3; i++) await second.record(base);
    await second.close();
    t.same(readEvents(path).map((e) => e.seq), [1, 2, 3, 4, 5, 6]);
    t.match(await verifyAuditLog(path), { ok: true, count: 6 });
  });

  t.test('starts a torn last line\'s successor on a new line and chains to the last whole event', async (t) => {
    const path = join(freshDir(), 'audit.jsonl');
    const first = fileTrail(path);
    for (let i = 0; i < 3; i++) await first.record(base);
    await first.close();
    const head = first.head();
    appendFileSync(path, '{"v":1,"seq":4,"ti');
    const second = fileTrail(path);
    await second.record(base);
    await second.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    t.equal(lines[3], '{"v":1,"seq":4,"ti');
    t.match(JSON.parse(lines[4] as string), { seq: 4, prev: head.hash });
    t.match(await verifyAuditLog(path), { ok: false, index: 3, problem: 'malformed' }, 'the verifier reports the torn line');
  });

  t.test('starts a new chain, and says so, when the file holds no event', async (t) => {
    const path = join(freshDir(), 'audit.jsonl');
    writeFileSync(path, 'garbage\n');
    const { logger, entries } = captureLogger();
    const trail = fileTrail(path, { logger });
    await trail.record(base);
    await trail.close();
    t.match(JSON.parse(readFileSync(path, 'utf8').split('\n')[1] as string), { seq: 1 });
    t.match(entries, [{ msg: /without a well-formed event/ }]);
  });

  t.test('fails closed: refuses with AuditWriteError when the sink cannot be written', async (t) => {
    t.test('a directory instead of a file', async (t) => {
      const dir = freshDir();
      const trail = fileTrail(dir);
      const value = randomBytes(16).toString('hex');
      await t.rejects(trail.record({ ...base, value } as AuditEventInput), AuditWriteError);
      await t.rejects(trail.record(base), { code: 'E_AUDIT_WRITE', message: /could not be written to file .* \(EISDIR\).*refused/ });
      t.throws(() => trail.recordSync(base), AuditWriteError);
      try {
        trail.recordSync({ ...base, value } as AuditEventInput);
      } catch (error) {
        t.notOk(JSON.stringify({ m: (error as Error).message, j: (error as AuditWriteError).toJSON() }).includes(value), 'the error carries no value');
      }
      t.same(trail.head(), { seq: 0, hash: '0'.repeat(64) }, 'no event exists');
    });
    t.test('a closed file descriptor', async (t) => {
      const fd = openSync(join(freshDir(), 'audit.jsonl'), 'a');
      const stream = pino.destination({ fd, sync: true });
      const trail = new AuditTrail({ sink: { type: 'stream', stream }, hmac, failClosed: true });
      await trail.record(base);
      closeSync(fd);
      await t.rejects(trail.record(base), { name: 'AuditWriteError', message: /EBADF/ });
      await t.rejects(trail.record(base), { name: 'AuditWriteError', message: /cannot be reopened/ }, 'a failed stream is not used again');
      t.equal(trail.head().seq, 1);
    });
    t.test('a closed trail', async (t) => {
      const trail = fileTrail(join(freshDir(), 'audit.jsonl'));
      await trail.record(base);
      await trail.close();
      await trail.close();
      await t.rejects(trail.record(base), { name: 'AuditWriteError', message: /closed/ });
    });
    t.test('is the default in production', async (t) => {
      const saved = process.env.NODE_ENV;
      t.teardown(() => {
        if (saved === undefined) delete process.env.NODE_ENV;
        else process.env.NODE_ENV = saved;
      });
      process.env.NODE_ENV = 'production';
      t.equal(new AuditTrail({ sink: { type: 'file', path: freshDir() }, hmac }).isFailClosed, true);
      process.env.NODE_ENV = 'development';
      t.equal(new AuditTrail({ sink: { type: 'file', path: freshDir() }, hmac }).isFailClosed, false);
    });
  });

  t.test('fails open when configured: logs the failure and lets the call proceed', async (t) => {
    t.test('a directory instead of a file', async (t) => {
      const { logger, entries } = captureLogger();
      const trail = fileTrail(freshDir(), { failClosed: false, logger });
      await trail.record(base);
      trail.recordSync(base);
      t.equal(trail.head().seq, 0);
      t.equal(entries.length, 1, 'logged once, then rate-limited');
      t.match(entries[0], { obj: { code: 'EISDIR', dropped: 1 }, msg: /fails open/ });
    });
    t.test('a closed file descriptor', async (t) => {
      const { logger, entries } = captureLogger();
      const fd = openSync(join(freshDir(), 'audit.jsonl'), 'a');
      closeSync(fd);
      const trail = new AuditTrail({ sink: { type: 'stream', stream: pino.destination({ fd, sync: true }) }, hmac, failClosed: false, logger });
      await trail.record(base);
      t.match(entries, [{ obj: { code: 'EBADF' } }]);
    });
  });

  t.test('reopens a file sink after a failure, and the chain stays whole', async (t) => {
    const path = join(freshDir(), 'audit.jsonl');
    mkdirSync(path);
    const trail = fileTrail(path);
    await t.rejects(trail.record(base), AuditWriteError);
    rmSync(path, { recursive: true });
    await trail.record(base);
    await trail.record(base);
    await trail.close();
    t.match(await verifyAuditLog(path), { ok: true, count: 2 });
  });

  t.test('Method: reopen (log rotation)', async (t) => {
    const path = join(freshDir(), 'audit.jsonl');
    const trail = fileTrail(path);
    await trail.record(base);
    await trail.record(base);
    const head = trail.head();
    renameSync(path, `${path}.1`);
    trail.reopen();
    await trail.record(base);
    await trail.close();
    t.match(await verifyAuditLog(`${path}.1`), { ok: true, count: 2, head });
    t.match(await verifyAuditLog(path, { start: head }), { ok: true, count: 1 });
    t.match(await verifyAuditLog(path, { start: 'any' }), { ok: true, count: 1 });
    t.match(await verifyAuditLog(path), { ok: false, index: 0, problem: 'missing' }, 'alone, the segment lacks its start');
  });

  t.test('durability', async (t) => {
    t.test('fsync: every event synced before record returns', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = new AuditTrail({ sink: { type: 'file', path, durability: 'fsync' }, hmac, failClosed: true });
      for (let i = 0; i < 20; i++) trail.recordSync(base);
      await trail.close();
      t.match(await verifyAuditLog(path), { ok: true, count: 20 });
    });
    t.test('batch: concurrent records share syncs and resolve once synced', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = new AuditTrail({ sink: { type: 'file', path, durability: 'batch' }, hmac, failClosed: true });
      const settled: number[] = [];
      await Promise.all(Array.from({ length: 1000 }, (_, i) => trail.record(base).then(() => settled.push(i))));
      t.equal(settled.length, 1000);
      await trail.flush();
      t.throws(() => trail.recordSync(base), ConfigError);
      await trail.close();
      t.match(await verifyAuditLog(path), { ok: true, count: 1000 });
    });
    t.test('refuses an unknown durability or sink', async (t) => {
      t.throws(() => new AuditTrail({ sink: { type: 'file', path: 'x', durability: 'maybe' as 'write' }, hmac }), ConfigError);
      t.throws(() => new AuditTrail({ sink: { type: 'kafka' } as unknown as AuditTrailOptions['sink'], hmac }), ConfigError);
      t.throws(() => new AuditTrail({ sink: { type: 'file', path: '' }, hmac }), ConfigError);
    });
  });

  t.test('sinks', async (t) => {
    t.test('stdout: a child process writes a verifiable trail to its stdout', async (t) => {
      const child = spawnSync(process.execPath, [...process.execArgv, join(__dirname, 'fixtures', 'stdoutTrail.ts'), KEY.toString('hex')], {
        encoding: 'utf8',
        env: { ...process.env, NODE_ENV: 'test' },
      });
      t.equal(child.status, 0, child.stderr);
      const lines = child.stdout.split('\n');
      t.match(await verifyAuditLog(lines), { ok: true, count: 4 });
      t.equal((JSON.parse(lines[0] as string) as AuditEvent).secret, hmac.reference('STRIPE_KEY'), 'same key, same references across processes');
    });
    t.test('transport: a pino transport writes the trail from a worker thread', async (t) => {
      const path = join(freshDir(), 'audit.jsonl');
      const trail = new AuditTrail({ sink: { type: 'transport', target: 'pino/file', options: { destination: path, mkdir: true } }, hmac, failClosed: true });
      for (let i = 0; i < 50; i++) await trail.record({ ...base, requestId: `r${i}` });
      await trail.flush();
      await trail.close();
      t.match(await verifyAuditLog(path), { ok: true, count: 50 });
    });
  });

  t.test('benchmark: 50,000 records to a file', async (t) => {
    const path = join(freshDir(), 'audit.jsonl');
    const trail = fileTrail(path);
    const input: AuditEventInput = { ...base, action: 'secrets.use', cache: 'hit', provider: 'aws', version: 'v1', durationMs: 0.01 };
    const n = 50_000;
    const times = new Float64Array(n);
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      trail.recordSync(input);
      times[i] = performance.now() - t0;
    }
    const seconds = (performance.now() - start) / 1000;
    times.sort();
    const p50 = (times[Math.floor(n * 0.5)] as number) * 1000;
    const p99 = (times[Math.floor(n * 0.99)] as number) * 1000;
    t.comment(`audit record (file, durability write): p50 ${p50.toFixed(1)} µs, p99 ${p99.toFixed(1)} µs, ${Math.round(n / seconds)} records/s`);
    t.ok(p50 < 50, `p50 ${p50.toFixed(1)} µs`);
    await trail.close();
    t.match(await verifyAuditLog(path), { ok: true, count: n });
  });
});
