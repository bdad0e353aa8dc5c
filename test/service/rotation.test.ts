// SecretsService.rotate / useVersions / rollback / rotateDue over the real peers (OpenBao, moto): RBAC first,
// one audit event per step, the chain verifies, the cache is dropped, the previous value during the grace period.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Policy, type PolicyDocument } from '../../src/access';
import { AuditTrail, verifyAuditLog, type AuditEvent } from '../../src/audit';
import { SecretCache } from '../../src/cache';
import type { ProviderClient } from '../../src/providers/Provider';
import { SecretRotator } from '../../src/rotation';
import { createSecretsService } from '../../src/service';
import { plantValue, uniquePrefix, type PeerName } from '../helpers/peers';
import { tmpdir } from '../helpers/tmp';
import { makePeerClient } from '../rotation/fixtures/peerClients';
import { ctxOf, hmac } from './fixtures/serviceKit';

const DAY = 86_400_000;
const HOUR = 3_600_000;

const POLICY: PolicyDocument = {
  version: 1,
  roles: {
    rotator: { grants: [{ permissions: ['secrets:read', 'secrets:list', 'secrets:rotate'] }] },
    reader: { grants: [{ permissions: ['secrets:read', 'secrets:list'] }] },
    platform: { crossTenant: true, grants: [{ permissions: ['secrets:read', 'secrets:list', 'secrets:rotate'] }] },
  },
  members: { ops: ['acme'], rd: ['acme'] },
};

/** Counts every provider call (the rotator's own methods included) without changing the client. */
function counted(client: ProviderClient): { client: ProviderClient; calls: () => number } {
  let n = 0;
  const proxy = new Proxy(client, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function' || prop === 'close') return value;
      return (...args: unknown[]) => {
        n++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { client: proxy, calls: () => n };
}

for (const peer of ['vault', 'aws'] as PeerName[]) {
  t.test(`SecretsService rotation over the ${peer} peer`, async (t) => {
    const raw = await makePeerClient(peer, uniquePrefix(`svcrot-${peer}`));
    t.teardown(() => raw.close());
    const { client, calls } = counted(raw);
    const file = join(tmpdir(t, `svcrot-${peer}`), 'audit.jsonl');
    const trail = new AuditTrail({ sink: { type: 'file', path: file }, hmac, failClosed: true });
    t.teardown(() => trail.close());
    const cache = new SecretCache({ ttlMs: 60_000 });
    t.teardown(() => cache.close());
    const service = createSecretsService({ providers: client, policy: new Policy(POLICY), audit: trail, cache, environment: 'peer', prefix: 'vc' });
    const events = (): AuditEvent[] =>
      (existsSync(file) ? readFileSync(file, 'utf8') : '')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as AuditEvent);
    const ops = ctxOf('ops', ['rotator']);
    const seed = plantValue();
    const admin = ctxOf('root', ['platform']);
    await raw.put(`${service.tenantsPath}acme/API_KEY`, Buffer.from(seed));
    const read = () => service.use(ops, 'acme', 'API_KEY', (v, meta) => ({ text: v.toString('utf8'), version: meta.version }));

    t.test('a caller without secrets:rotate is refused before any provider call, and audited', async (t) => {
      const before = calls();
      const n = events().length;
      await t.rejects(service.rotate(ctxOf('rd', ['reader']), 'acme', 'API_KEY'), { code: 'E_FORBIDDEN', permission: 'secrets:rotate' });
      await t.rejects(service.rollback(ctxOf('rd', ['reader']), 'acme', 'API_KEY'), { code: 'E_FORBIDDEN' });
      await t.rejects(service.rotateDue(ctxOf('rd', ['reader']), { tenants: ['acme'] }), { code: 'E_FORBIDDEN' });
      await t.rejects(service.rotate(ops, 'globex', 'API_KEY'), { code: 'E_FORBIDDEN' }, 'not a member of globex');
      t.equal(calls(), before, 'no provider call');
      const denied = events().slice(n);
      t.same(denied.map((e) => [e.action, e.outcome]), [
        ['secrets.rotate.request', 'denied'],
        ['secrets.rollback', 'denied'],
        ['secrets.rotate.due', 'denied'],
        ['secrets.rotate.request', 'denied'],
      ]);
    });

    t.test('rotate: one event per step, cache dropped, the previous value during the grace period', async (t) => {
      const first = await read();
      t.equal(first.text, seed);
      await read(); // now cached
      const n = events().length;
      const result = await service.rotate(ops, 'acme', 'API_KEY', { gracePeriodMs: HOUR });
      const steps = events().slice(n);
      t.same(steps.map((e) => e.action), ['generate', 'stage', 'verify', 'promote', 'grace', 'retire'].map((s) => `secrets.rotate.${s}`));
      t.ok(steps.every((e) => e.outcome === 'allowed' && e.tenant === 'acme' && e.actor.id === 'ops' && e.crossTenant === false));
      t.equal(steps[5]!.reason, 'deferred');
      t.equal(steps[3]!.version, result.version);
      const after = await read();
      t.equal(after.version, result.version, 'a read after rotate returns the new version (cache invalidated)');
      t.not(after.text, seed);
      const views = await service.useVersions(ops, 'acme', 'API_KEY', ({ current, previous }) => ({ current: current.view.toString(), previous: previous?.view.toString(), pv: previous?.version }));
      t.equal(views.current, after.text);
      t.equal(views.previous, seed, 'previous offered during the grace period');
      t.equal(views.pv, result.previousVersion);
      t.equal(events().at(-1)!.action, 'secrets.use');
      await t.rejects(service.useVersions(ctxOf('x', ['nothing']), 'acme', 'API_KEY', () => 1), { code: 'E_FORBIDDEN' });
      const all = readFileSync(file, 'utf8');
      t.notOk(all.includes(seed) || all.includes(after.text), 'no value in the audit log');
    });

    t.test('rollback: audited as secrets.rollback, cache dropped', async (t) => {
      await read();
      const n = events().length;
      const result = await service.rollback(ops, 'acme', 'API_KEY');
      const ev = events().slice(n);
      t.same(ev.map((e) => [e.action, e.outcome]), [['secrets.rollback', 'allowed']]);
      const now = await read();
      t.equal(now.text, seed, 'the previous value is current again');
      t.equal(now.version, result.version);
      await t.rejects(service.rollback(ops, 'acme', 'API_KEY', { version: '../x' }), { code: 'E_INVALID_NAME' });
    });

    t.test('rotateDue: what has a due policy, cross-tenant only with a platform role (audited)', async (t) => {
      const rotator = new SecretRotator({ client: raw });
      await raw.put(`${service.tenantsPath}globex/DB_PASSWORD`, Buffer.from(plantValue()));
      await raw.put(`${service.tenantsPath}globex/NO_POLICY`, Buffer.from(plantValue()));
      await rotator.setPolicy(`${service.tenantsPath}globex/DB_PASSWORD`, { intervalMs: DAY, gracePeriodMs: HOUR });
      await rotator.setPolicy(`${service.tenantsPath}acme/API_KEY`, { intervalMs: DAY, gracePeriodMs: HOUR });
      const inTwoDays = () => Date.now() + 2 * DAY;
      const mine = await service.rotateDue(ops, { now: inTwoDays });
      t.same(mine.rotated, ['acme/API_KEY'], 'a member discovers and rotates only its own tenants');
      const n = events().length;
      const progress: number[] = [];
      const report = await service.rotateDue(admin, { now: inTwoDays, concurrency: 2, onProgress: (p) => void progress.push(p.done) });
      t.same([...report.rotated].sort(), ['acme/API_KEY', 'globex/DB_PASSWORD']);
      t.equal(report.total, 3);
      t.equal(report.scheduled, 2);
      t.same(report.failures, []);
      t.equal(progress.length, 3);
      const ev = events().slice(n);
      t.ok(ev.length > 0 && ev.every((e) => e.crossTenant === true && e.actor.id === 'root'), 'platform access audited as crossTenant');
      t.same(ev.filter((e) => e.action === 'secrets.rotate.due').map((e) => e.tenant).sort(), ['acme', 'globex']);
      t.equal(ev.filter((e) => e.action === 'secrets.rotate.promote').length, 2);
      const v = await verifyAuditLog(file);
      t.ok(v.ok, 'the audit chain verifies');
    });
  });
}
