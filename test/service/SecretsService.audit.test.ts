// The audit side of the service, on real files: one event per call whatever happens, tamper detection by
// verifyAuditLog on a log the service wrote, fail-closed refusals, and no value ever in the file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { Policy } from '../../src/access';
import { AuditTrail, auditReference, verifyAuditLog, type AuditEvent } from '../../src/audit';
import { ProviderUnavailableError } from '../../src/errors';
import { createSecretsService, InMemoryProvider, type SecretsService } from '../../src/service';
import { tmpdir } from '../helpers/tmp';
import { ctxOf, everythingOf, HMAC_KEY, hmac, plant, POLICY_DOC, settle } from './fixtures/serviceKit';

const alice = ctxOf('alice', ['writer']);
const reader = ctxOf('alice', ['reader']);
const bob = ctxOf('bob', ['reader']);
const operator = ctxOf('ops-1', ['operator']);
const path = (tenant: string, name: string) => `vc/test/tenants/${tenant}/${name}`;
const text = (view: Buffer) => view.toString('utf8');

function fileService(t: Test, options: { failClosed?: boolean; file?: string; provider?: InMemoryProvider } = {}) {
  const file = options.file ?? join(tmpdir(t, 'svc-audit'), 'audit.jsonl');
  const trail = new AuditTrail({ sink: { type: 'file', path: file }, hmac, failClosed: options.failClosed ?? true, logger: { error: () => undefined } });
  const provider = options.provider ?? new InMemoryProvider();
  const service = createSecretsService({ providers: provider, policy: new Policy(POLICY_DOC), audit: trail, environment: 'test', prefix: 'vc' });
  const lines = (): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter((l) => l !== '') : []);
  const events = (): AuditEvent[] => lines().map((l) => JSON.parse(l) as AuditEvent);
  t.teardown(() => trail.close());
  return { file, trail, provider, service, lines, events };
}

t.test('Audit: every call produces exactly one event', async (t) => {
  let isDown = false;
  const provider = new InMemoryProvider({
    beforeCall: () => {
      if (isDown) throw new ProviderUnavailableError('down');
    },
  });
  const h = fileService(t, { provider });
  const s: SecretsService = h.service;
  const calls: [string, () => Promise<unknown>, Partial<AuditEvent>][] = [
    ['set allowed', () => s.set(alice, 'acme', 'K', Buffer.from(plant())), { action: 'secrets.set', outcome: 'allowed' }],
    ['use miss', () => s.use(alice, 'acme', 'K', text), { action: 'secrets.use', outcome: 'allowed', cache: 'miss' }],
    ['use hit', () => s.use(alice, 'acme', 'K', text), { action: 'secrets.use', outcome: 'allowed', cache: 'hit' }],
    ['get hit', () => s.get(alice, 'acme', 'K'), { action: 'secrets.get', outcome: 'allowed', cache: 'hit' }],
    ['use whose fn throws', () => s.use(alice, 'acme', 'K', () => Promise.reject(new Error('app'))), { action: 'secrets.use', outcome: 'allowed' }],
    ['use denied', () => s.use(bob, 'acme', 'K', text), { action: 'secrets.use', outcome: 'denied', reason: 'tenant-not-granted' }],
    ['use of a missing secret', () => s.use(alice, 'acme', 'MISSING', text), { action: 'secrets.use', outcome: 'failed', reason: 'E_NOT_FOUND' }],
    ['use with a hostile tenant', () => s.use(alice, '../acme', 'K', text), { action: 'secrets.use', outcome: 'denied', reason: 'invalid-tenant' }],
    ['use with a hostile name', () => s.use(alice, 'acme', 'a/../K', text), { action: 'secrets.use', outcome: 'denied', reason: 'invalid-name' }],
    ['use with a hostile version', () => s.use(alice, 'acme', 'K', text, { version: '../1' }), { action: 'secrets.use', outcome: 'denied', reason: 'invalid-version' }],
    ['cross-tenant use', () => s.use(operator, 'acme', 'K', text), { action: 'secrets.use', outcome: 'allowed', crossTenant: true }],
    ['list allowed', () => s.list(reader, 'acme'), { action: 'secrets.list', outcome: 'allowed', secret: null }],
    ['list denied', () => s.list(bob, 'acme'), { action: 'secrets.list', outcome: 'denied' }],
    ['versions allowed', () => s.versions(alice, 'acme', 'K'), { action: 'secrets.versions', outcome: 'allowed' }],
    ['versions of a missing secret', () => s.versions(alice, 'acme', 'NOPE'), { action: 'secrets.versions', outcome: 'failed', reason: 'E_NOT_FOUND' }],
    ['set denied', () => s.set(reader, 'acme', 'K', Buffer.from('x')), { action: 'secrets.set', outcome: 'denied', reason: 'no-grant' }],
    ['delete allowed', () => s.delete(alice, 'acme', 'K'), { action: 'secrets.delete', outcome: 'allowed' }],
    ['delete of a missing secret', () => s.delete(alice, 'acme', 'K'), { action: 'secrets.delete', outcome: 'failed', reason: 'E_NOT_FOUND' }],
    ['delete denied', () => s.delete(reader, 'acme', 'K'), { action: 'secrets.delete', outcome: 'denied' }],
    [
      'use while the backend is down',
      () => {
        isDown = true;
        return s.use(alice, 'acme', 'OTHER', text).finally(() => (isDown = false));
      },
      { action: 'secrets.use', outcome: 'failed', reason: 'E_PROVIDER_UNAVAILABLE' },
    ],
    ['set while the backend is down', () => ((isDown = true), s.set(alice, 'acme', 'K', Buffer.from('x')).finally(() => (isDown = false))), { outcome: 'failed', reason: 'E_PROVIDER_UNAVAILABLE' }],
    ['list while the backend is down', () => ((isDown = true), s.list(alice, 'acme').finally(() => (isDown = false))), { outcome: 'failed', reason: 'E_PROVIDER_UNAVAILABLE' }],
  ];
  for (const [label, call, expected] of calls) {
    const before = h.lines().length;
    await settle(call());
    const after = h.events();
    t.equal(after.length, before + 1, `${label}: one event`);
    t.match(after.at(-1), expected, `${label}: ${JSON.stringify(expected)}`);
  }
  t.match(await verifyAuditLog(h.file), { ok: true, count: calls.length });
});

t.test('Audit: a tampered log is detected by verifyAuditLog', async (t) => {
  const h = fileService(t);
  await h.service.set(alice, 'acme', 'K', Buffer.from(plant()));
  for (let i = 0; i < 8; i++) await settle(h.service.use(i % 2 === 0 ? alice : bob, 'acme', 'K', text));
  await h.trail.close();
  const lines = h.lines();
  t.equal(lines.length, 9);
  t.match(await verifyAuditLog(h.file), { ok: true, count: 9 });

  const tamper = async (label: string, edit: (ls: string[]) => string, expected: { problem: string; line: number }) => {
    const copy = join(tmpdir(t, 'svc-tamper'), 'audit.jsonl');
    writeFileSync(copy, edit([...lines]));
    t.match(await verifyAuditLog(copy), { ok: false, ...expected }, label);
  };
  const joinAll = (ls: string[]) => ls.join('\n') + '\n';
  await tamper('an edited outcome (denied -> allowed)', (ls) => joinAll(ls.map((l, i) => (i === 2 ? l.replace('"outcome":"denied"', '"outcome":"allowed"') : l))), { problem: 'edited', line: 3 });
  await tamper('an edited actor', (ls) => joinAll(ls.map((l, i) => (i === 3 ? l.replace('"id":"alice"', '"id":"mallory"') : l))), { problem: 'edited', line: 4 });
  await tamper('a deleted event', (ls) => joinAll(ls.filter((_, i) => i !== 3)), { problem: 'missing', line: 4 });
  await tamper('two events swapped', (ls) => joinAll([...ls.slice(0, 5), ls[6] as string, ls[5] as string, ...ls.slice(7)]), { problem: 'reordered', line: 6 });
  await tamper('a truncated last event', (ls) => ls.join('\n').slice(0, -20), { problem: 'truncated', line: 9 });
  await tamper('an event recomputed with a new hash but the old chain', (ls) => {
    const e = JSON.parse(ls[1] as string) as AuditEvent;
    const forged = { ...e, outcome: 'denied', hash: 'f'.repeat(64) };
    return joinAll(ls.map((l, i) => (i === 1 ? JSON.stringify(forged) : l)));
  }, { problem: 'edited', line: 2 });
});

t.test('Audit: a failing sink refuses access when the trail fails closed', async (t) => {
  t.test('reads are refused and the value is never lent (sink: /dev/full, every write fails with ENOSPC)', async (t) => {
    const provider = new InMemoryProvider();
    await provider.put(path('acme', 'K'), Buffer.from(plant()));
    const h = fileService(t, { file: '/dev/full', provider });
    let isLent = false;
    await t.rejects(
      h.service.use(alice, 'acme', 'K', () => (isLent = true)),
      { code: 'E_AUDIT_WRITE' },
    );
    await t.rejects(h.service.get(alice, 'acme', 'K'), { code: 'E_AUDIT_WRITE' });
    await t.rejects(h.service.list(alice, 'acme'), { code: 'E_AUDIT_WRITE' });
    await t.rejects(h.service.versions(alice, 'acme', 'K'), { code: 'E_AUDIT_WRITE' });
    await t.rejects(h.service.use(bob, 'acme', 'K', text), { code: 'E_AUDIT_WRITE' }, 'a denial that cannot be audited is refused too');
    await t.rejects(h.service.use(alice, '../x', 'K', text), { code: 'E_AUDIT_WRITE' });
    t.notOk(isLent);
  });

  t.test('a write whose event cannot be written throws AuditWriteError (the documented limit: the backend has the change)', async (t) => {
    const h = fileService(t, { file: '/dev/full' });
    await t.rejects(h.service.set(alice, 'acme', 'K', Buffer.from('v')), { code: 'E_AUDIT_WRITE' });
    t.equal(h.provider.callCount('put'), 1);
  });

  t.test('a sink that cannot be opened refuses writes before the backend is called', async (t) => {
    const dir = tmpdir(t, 'svc-audit-open');
    writeFileSync(join(dir, 'not-a-dir'), '');
    const h = fileService(t, { file: join(dir, 'not-a-dir', 'audit.jsonl') });
    await t.rejects(h.service.set(alice, 'acme', 'K', Buffer.from('v')), { code: 'E_AUDIT_WRITE' });
    await t.rejects(h.service.delete(alice, 'acme', 'K'), { code: 'E_AUDIT_WRITE' });
    t.equal(h.provider.callCount(), 0);
  });

  t.test('with failClosed: false the call goes on', async (t) => {
    const provider = new InMemoryProvider();
    await provider.put(path('acme', 'K'), Buffer.from('v'));
    const h = fileService(t, { file: '/dev/full', provider, failClosed: false });
    t.equal(await h.service.use(alice, 'acme', 'K', text), 'v');
  });
});

t.test('Audit: planted values never appear in the audit file, nor in errors', async (t) => {
  let isDown = false;
  const provider = new InMemoryProvider({
    beforeCall: () => {
      if (isDown) throw new ProviderUnavailableError('down');
    },
  });
  const h = fileService(t, { provider });
  const values: string[] = [];
  const errors: unknown[] = [];
  for (const tenant of ['acme', 'globex']) {
    for (const name of ['STRIPE_KEY', 'DB_PASSWORD', 'api.token']) {
      const value = plant(24);
      values.push(value);
      const writer = ctxOf(tenant === 'acme' ? 'alice' : 'bob', ['writer']);
      await h.service.set(writer, tenant, name, Buffer.from(value));
      await h.service.use(writer, tenant, name, text);
      (await h.service.get(writer, tenant, name)).dispose();
      await h.service.versions(writer, tenant, name);
      for (const r of [await settle(h.service.use(ctxOf('mallory', ['writer']), tenant, name, text)), await settle(h.service.set(writer, tenant, name, Buffer.from(value), { expectedVersion: '99' }))]) {
        if (!r.ok) errors.push(r.error);
      }
      isDown = true;
      const down = await settle(h.service.set(writer, tenant, name, Buffer.from(value)));
      isDown = false;
      if (!down.ok) errors.push(down.error);
    }
  }
  const content = readFileSync(h.file, 'utf8');
  t.ok(content.length > 0);
  for (const value of values) {
    t.notOk(content.includes(value), 'no value in the audit file');
    t.notOk(content.includes(Buffer.from(value).toString('base64')), 'not even base64-encoded');
    t.notOk(content.includes(Buffer.from(value).toString('hex')), 'nor hex-encoded');
    for (const error of errors) t.notOk(everythingOf(error).includes(value), 'no value in an error');
  }
  t.equal(errors.length, 18);
  t.notOk(/STRIPE_KEY|DB_PASSWORD|api\.token/.test(content), 'secret names are HMAC references');
});

t.test('Audit: operators find a secret by the reference of its name', async (t) => {
  const h = fileService(t);
  await h.service.set(alice, 'acme', 'STRIPE_KEY', Buffer.from(plant()));
  await h.service.use(alice, 'acme', 'STRIPE_KEY', text);
  await h.service.set(alice, 'acme', 'OTHER', Buffer.from(plant()));
  const ref = auditReference('STRIPE_KEY', { key: HMAC_KEY });
  t.same(
    h.events().filter((e) => e.secret === ref).map((e) => e.action),
    ['secrets.set', 'secrets.use'],
  );
});

t.test('Audit: hostile request ids and actors cannot inject into the log', async (t) => {
  const h = fileService(t);
  await h.service.set(alice, 'acme', 'K', Buffer.from('v'));
  const hostile = [
    { actor: { id: 'alice', roles: ['writer'] }, requestId: 'r1"}\n{"seq":999' },
    { actor: { id: 'eve\n{"forged":true}', roles: ['writer\u001b[31m'] }, requestId: 'x'.repeat(5000) },
  ];
  for (const ctx of hostile) await settle(h.service.use(ctx, 'acme', 'K', text));
  const events = h.events();
  t.equal(events.length, 3);
  t.match(events[1]?.requestId, /^hmac-sha256:[0-9a-f]{64}$/);
  t.match(events[2]?.actor.id, /^hmac-sha256:[0-9a-f]{64}$/);
  t.equal(events[2]?.requestId, null, 'an oversized request id is dropped, not hashed');
  t.match(await verifyAuditLog(h.file), { ok: true, count: 3 });
});
