import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { Policy } from '../../src/access';
import { AuditTrail, verifyAuditLog, type AuditEvent } from '../../src/audit';
import { SecretCache } from '../../src/cache';
import { ProviderUnavailableError } from '../../src/errors';
import { createSecretsService, InMemoryProvider, SecretCopy, type RequestContext } from '../../src/service';
import { tmpdir } from '../helpers/tmp';
import { brokenTrail, ctxOf, everythingOf, harness, hmac, memoryTrail, plant, POLICY_DOC, settle } from './fixtures/serviceKit';

const alice = ctxOf('alice', ['reader']);
const aliceWriter = ctxOf('alice', ['writer']);
const bob = ctxOf('bob', ['reader']);
const billing = ctxOf('carol', ['billing']);
const operator = ctxOf('ops-1', ['operator']);
const path = (tenant: string, name: string) => `vc/test/tenants/${tenant}/${name}`;
const text = (view: Buffer) => view.toString('utf8');

t.test('Class: SecretsService', async (t) => {
  t.test('Method: use', async (t) => {
    t.test('lends the tenant value and records one allowed event per call, a miss then hits', async (t) => {
      const h = harness();
      const value = plant();
      await h.provider.put(path('acme', 'DB_PASSWORD'), Buffer.from(value));
      t.equal(await h.service.use(alice, 'acme', 'DB_PASSWORD', text), value);
      t.equal(await h.service.use(alice, 'acme', 'DB_PASSWORD', text), value);
      t.equal(h.provider.callCount('get'), 1, 'the second read is a cache hit');
      const events = h.events();
      t.equal(events.length, 2);
      t.match(events[0], {
        requestId: alice.requestId,
        actor: { id: 'alice', roles: ['reader'] },
        tenant: 'acme',
        action: 'secrets.use',
        secret: hmac.reference('DB_PASSWORD'),
        version: '1',
        outcome: 'allowed',
        reason: null,
        provider: 'memory',
        cache: 'miss',
        crossTenant: false,
      });
      t.equal(events[1]?.cache, 'hit');
      t.type(events[0]?.durationMs, 'number');
      t.notOk(h.lines.join('').includes(value), 'the value is not in the audit trail');
      t.notOk(h.lines.join('').includes('DB_PASSWORD'), 'nor the name');
    });

    t.test('the view is valid during the call only and is not a copy the caller owns', async (t) => {
      const h = harness();
      await h.provider.put(path('acme', 'K'), Buffer.from('abc'));
      let kept: Buffer | undefined;
      await h.service.use(alice, 'acme', 'K', (view) => {
        kept = view;
      });
      t.ok(kept instanceof Buffer);
      h.service.close();
      t.ok(kept?.every((b) => b === 0), 'closing the owned cache zeroes the locked bytes');
    });

    t.test('two tenants with the same secret name are never served each other values', async (t) => {
      const h = harness();
      const a = plant();
      const g = plant();
      await h.provider.put(path('acme', 'API_KEY'), Buffer.from(a));
      await h.provider.put(path('globex', 'API_KEY'), Buffer.from(g));
      const carol = ctxOf('carol', ['reader']);
      for (let i = 0; i < 3; i++) {
        t.equal(await h.service.use(carol, 'acme', 'API_KEY', text), a);
        t.equal(await h.service.use(carol, 'globex', 'API_KEY', text), g);
      }
      t.equal(h.provider.callCount('get'), 2, 'one load per tenant, hits afterwards');
    });

    t.test('denies a non-member with ForbiddenError before cache or provider, the same whether or not the secret exists', async (t) => {
      const h = harness();
      await h.provider.put(path('acme', 'EXISTS'), Buffer.from(plant()));
      h.provider.resetCallCounts();
      let isCalled = false;
      const existing = await settle(h.service.use(bob, 'acme', 'EXISTS', () => (isCalled = true)));
      const missing = await settle(h.service.use(bob, 'acme', 'MISSING', () => (isCalled = true)));
      t.notOk(isCalled);
      t.equal(h.provider.callCount(), 0, 'the provider was never called');
      t.notOk(existing.ok);
      t.notOk(missing.ok);
      const describe = (r: typeof existing) => (r.ok ? 'ok' : JSON.stringify({ ...(r.error as object), message: (r.error as Error).message, name: (r.error as Error).name }));
      t.equal(describe(existing), describe(missing), 'identical errors: no existence oracle');
      t.match((existing as { error: unknown }).error, { code: 'E_FORBIDDEN', permission: 'secrets:read' });
      const [e1, e2] = h.events();
      t.match(e1, { outcome: 'denied', reason: 'tenant-not-granted', tenant: 'acme', provider: null, version: null, cache: 'none' });
      t.same({ ...e1, seq: 0, time: '', hash: '', prev: '', secret: '', durationMs: 0, requestId: '' }, { ...e2, seq: 0, time: '', hash: '', prev: '', secret: '', durationMs: 0, requestId: '' });
    });

    t.test('a name-restricted role reads matching names only', async (t) => {
      const h = harness();
      await h.provider.put(path('acme', 'STRIPE_KEY'), Buffer.from('s'));
      await h.provider.put(path('acme', 'DB_PASSWORD'), Buffer.from('d'));
      t.equal(await h.service.use(billing, 'acme', 'STRIPE_KEY', text), 's');
      await t.rejects(h.service.use(billing, 'acme', 'DB_PASSWORD', text), { code: 'E_FORBIDDEN' });
      t.equal(h.events()[1]?.reason, 'name-not-granted');
    });

    t.test('a platform role reads across tenants and is audited as cross-tenant; members are not', async (t) => {
      const h = harness();
      await h.provider.put(path('initech', 'K'), Buffer.from('i'));
      await h.provider.put(path('acme', 'K'), Buffer.from('a'));
      t.equal(await h.service.use(operator, 'initech', 'K', text), 'i');
      t.equal(await h.service.use(alice, 'acme', 'K', text), 'a');
      t.same(
        h.events().map((e) => [e.actor.id, e.crossTenant]),
        [
          ['ops-1', true],
          ['alice', false],
        ],
      );
    });

    t.test('refuses access with AuditWriteError when the event cannot be written (fail-closed); fn never runs', async (t) => {
      const provider = new InMemoryProvider();
      await provider.put(path('acme', 'K'), Buffer.from(plant()));
      const service = createSecretsService({ providers: provider, policy: new Policy(POLICY_DOC), audit: brokenTrail(true), environment: 'test', prefix: 'vc' });
      let isCalled = false;
      await t.rejects(
        service.use(alice, 'acme', 'K', () => (isCalled = true)),
        { code: 'E_AUDIT_WRITE' },
      );
      // Now the value is cached: a hit must be refused the same way.
      await t.rejects(
        service.use(alice, 'acme', 'K', () => (isCalled = true)),
        { code: 'E_AUDIT_WRITE' },
      );
      await t.rejects(service.get(alice, 'acme', 'K'), { code: 'E_AUDIT_WRITE' });
      t.notOk(isCalled);
    });

    t.test('goes on when the trail fails open', async (t) => {
      const provider = new InMemoryProvider();
      await provider.put(path('acme', 'K'), Buffer.from('v'));
      const service = createSecretsService({ providers: provider, policy: new Policy(POLICY_DOC), audit: brokenTrail(false), environment: 'test', prefix: 'vc' });
      t.equal(await service.use(alice, 'acme', 'K', text), 'v');
    });

    t.test('an error thrown by fn propagates; the access was recorded once, as allowed', async (t) => {
      const h = harness();
      await h.provider.put(path('acme', 'K'), Buffer.from('v'));
      await t.rejects(
        h.service.use(alice, 'acme', 'K', () => {
          throw new Error('app failure');
        }),
        { message: 'app failure' },
      );
      t.same(
        h.events().map((e) => e.outcome),
        ['allowed'],
      );
    });

    t.test('a provider failure is audited as failed with its code and rethrown', async (t) => {
      let isDown = false;
      const provider = new InMemoryProvider({
        beforeCall: () => {
          if (isDown) throw new ProviderUnavailableError('backend down');
        },
      });
      const h = harness({ provider });
      await t.rejects(h.service.use(alice, 'acme', 'NOPE', text), { code: 'E_NOT_FOUND' });
      isDown = true;
      await t.rejects(h.service.use(alice, 'acme', 'NOPE', text), { code: 'E_PROVIDER_UNAVAILABLE' });
      t.same(
        h.events().map((e) => [e.outcome, e.reason, e.cache]),
        [
          ['failed', 'E_NOT_FOUND', 'none'],
          ['failed', 'E_PROVIDER_UNAVAILABLE', 'none'],
        ],
      );
    });

    t.test('serves a stale value while the backend fails, within maxStaleMs, and records cache: stale', async (t) => {
      let now = 1_700_000_000_000;
      let isDown = false;
      const provider = new InMemoryProvider({
        beforeCall: () => {
          if (isDown) throw new ProviderUnavailableError('backend down');
        },
      });
      const h = harness({ provider, cache: { ttlMs: 1000, maxStaleMs: 10_000, now: () => now } });
      await provider.put(path('acme', 'K'), Buffer.from('v'));
      await h.service.use(alice, 'acme', 'K', text);
      now += 2000;
      isDown = true;
      t.equal(await h.service.use(alice, 'acme', 'K', text), 'v');
      t.equal(h.events()[1]?.cache, 'stale');
    });

    t.test('reads a given version, cached apart from the current one', async (t) => {
      const h = harness();
      const { version: v1 } = await h.provider.put(path('acme', 'K'), Buffer.from('one'));
      await h.provider.put(path('acme', 'K'), Buffer.from('two'));
      t.equal(await h.service.use(alice, 'acme', 'K', text, { version: v1 }), 'one');
      t.equal(await h.service.use(alice, 'acme', 'K', text), 'two');
      t.same(
        h.events().map((e) => e.version),
        [v1, '2'],
      );
    });

    t.test('concurrent misses share one provider read and still record one event each', async (t) => {
      const h = harness();
      await h.provider.put(path('acme', 'K'), Buffer.from('v'));
      const results = await Promise.all(Array.from({ length: 10 }, () => h.service.use(alice, 'acme', 'K', text)));
      t.same(results, Array(10).fill('v'));
      t.equal(h.provider.callCount('get'), 1);
      t.equal(h.events().length, 10);
    });

    t.test('rejects a callback that is not a function with TypeError, before anything else', async (t) => {
      const h = harness();
      await t.rejects(h.service.use(alice, 'acme', 'K', 'nope' as never), TypeError);
      t.equal(h.events().length, 0);
    });
  });

  t.test('Method: get', async (t) => {
    t.test('returns a copy whose printing forms are redacted and which dispose() zeroes', async (t) => {
      const h = harness();
      const value = plant();
      await h.provider.put(path('acme', 'K'), Buffer.from(value));
      const copy = await h.service.get(alice, 'acme', 'K');
      t.ok(copy instanceof SecretCopy);
      t.equal(copy.text(), value);
      t.equal(copy.version, '1');
      t.equal(copy.cache, 'miss');
      t.notOk(everythingOf(copy).includes(value), 'String, JSON and inspect are redacted');
      t.notOk(inspect({ nested: copy }, { depth: 5 }).includes(value));
      const bytes = copy.bytes();
      copy.dispose();
      t.ok(bytes.every((b) => b === 0));
      t.ok(copy.isDisposed);
      t.throws(() => copy.text(), TypeError);
      t.match(h.events()[0], { action: 'secrets.get', outcome: 'allowed' });
    });
  });

  t.test('Method: set', async (t) => {
    t.test('writes a new version, drops the cached value at once, and records the version', async (t) => {
      const h = harness();
      const { version: v1 } = await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('one'));
      t.equal(await h.service.use(aliceWriter, 'acme', 'K', text), 'one');
      const { version: v2 } = await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('two'));
      t.not(v1, v2);
      t.equal(await h.service.use(aliceWriter, 'acme', 'K', text), 'two', 'no stale read after a write (TTL 5 min)');
      t.same(
        h.events().map((e) => [e.action, e.version, e.cache]),
        [
          ['secrets.set', v1, 'none'],
          ['secrets.use', v1, 'miss'],
          ['secrets.set', v2, 'none'],
          ['secrets.use', v2, 'miss'],
        ],
      );
    });

    t.test('needs secrets:write', async (t) => {
      const h = harness();
      await t.rejects(h.service.set(alice, 'acme', 'K', Buffer.from('x')), { code: 'E_FORBIDDEN', permission: 'secrets:write' });
      t.equal(h.provider.callCount('put'), 0);
    });

    t.test('check-and-set conflicts are audited as failed, and the cache is dropped anyway', async (t) => {
      const h = harness();
      await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('one'));
      await h.service.use(aliceWriter, 'acme', 'K', text);
      await t.rejects(h.service.set(aliceWriter, 'acme', 'K', Buffer.from('two'), { expectedVersion: '7' }), { code: 'E_CONFLICT' });
      await h.service.use(aliceWriter, 'acme', 'K', text);
      t.same(
        h.events().map((e) => [e.action, e.outcome, e.reason, e.cache]),
        [
          ['secrets.set', 'allowed', null, 'none'],
          ['secrets.use', 'allowed', null, 'miss'],
          ['secrets.set', 'failed', 'E_CONFLICT', 'none'],
          ['secrets.use', 'allowed', null, 'miss'],
        ],
      );
      const { version } = await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('three'), { expectedVersion: '1' });
      t.equal(version, '2');
    });

    t.test('passes an idempotency token: the same token and value is one version', async (t) => {
      const h = harness();
      const token = 'a'.repeat(32);
      const a = await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('v'), { token });
      const b = await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('v'), { token });
      t.equal(a.version, b.version);
      await t.rejects(h.service.set(aliceWriter, 'acme', 'K', Buffer.from('v'), { token: 'short' }), { code: 'E_INVALID_NAME' });
      t.equal(h.events()[2]?.reason, 'invalid-token');
    });

    t.test('refuses a value that is not bytes with TypeError, before anything else', async (t) => {
      const h = harness();
      await t.rejects(h.service.set(aliceWriter, 'acme', 'K', 'text' as never), TypeError);
      t.equal(h.events().length, 0);
    });

    t.test('with a fail-closed trail whose sink cannot be opened, the write is refused before it happens', async (t) => {
      const provider = new InMemoryProvider();
      const dir = tmpdir(t, 'svc-sink');
      writeFileSync(join(dir, 'file'), '');
      const trail = new AuditTrail({ sink: { type: 'file', path: join(dir, 'file', 'audit.jsonl') }, hmac, failClosed: true });
      const service = createSecretsService({ providers: provider, policy: new Policy(POLICY_DOC), audit: trail, environment: 'test', prefix: 'vc' });
      // The denial-free path: the policy allows, the sink is checked before the provider is called.
      await t.rejects(service.set(aliceWriter, 'acme', 'K', Buffer.from('v')), { code: 'E_AUDIT_WRITE' });
      t.equal(provider.callCount('put'), 0);
    });
  });

  t.test('Method: delete', async (t) => {
    t.test('deletes the secret, drops it from the cache, and later reads fail as not found', async (t) => {
      const h = harness();
      await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('v'));
      await h.service.use(aliceWriter, 'acme', 'K', text);
      await h.service.delete(aliceWriter, 'acme', 'K');
      await t.rejects(h.service.use(aliceWriter, 'acme', 'K', text), { code: 'E_NOT_FOUND' });
      t.same(
        h.events().map((e) => [e.action, e.outcome]),
        [
          ['secrets.set', 'allowed'],
          ['secrets.use', 'allowed'],
          ['secrets.delete', 'allowed'],
          ['secrets.use', 'failed'],
        ],
      );
    });

    t.test('deletes single versions and refuses invalid version lists', async (t) => {
      const h = harness();
      const { version: v1 } = await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('one'));
      await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('two'));
      await h.service.use(aliceWriter, 'acme', 'K', text, { version: v1 });
      await h.service.delete(aliceWriter, 'acme', 'K', { versions: [v1] });
      await t.rejects(h.service.use(aliceWriter, 'acme', 'K', text, { version: v1 }), { code: 'E_NOT_FOUND' }, 'the cached old version was dropped');
      for (const versions of [[], ['../x'], 'v1', [1]] as never[]) {
        await t.rejects(h.service.delete(aliceWriter, 'acme', 'K', { versions }), { code: 'E_INVALID_NAME' });
      }
    });

    t.test('needs secrets:delete', async (t) => {
      const h = harness();
      await t.rejects(h.service.delete(alice, 'acme', 'K'), { code: 'E_FORBIDDEN', permission: 'secrets:delete' });
      t.equal(h.provider.callCount(), 0);
    });
  });

  t.test('Method: list', async (t) => {
    t.test('lists the names the caller may list, in this tenant only', async (t) => {
      const h = harness();
      for (const [tenant, name] of [
        ['acme', 'STRIPE_KEY'],
        ['acme', 'STRIPE_HOOK'],
        ['acme', 'DB_PASSWORD'],
        ['acme2', 'OTHER_TENANT'],
        ['globex', 'STRIPE_GLOBEX'],
      ] as const) {
        await h.provider.put(path(tenant, name), Buffer.from('v'));
      }
      // Foreign entries under the tenant's prefix that are not secret names of ours are skipped.
      await h.provider.put('vc/test/tenants/acme/nested/DEEP', Buffer.from('v'));
      t.same(await h.service.list(alice, 'acme'), ['DB_PASSWORD', 'STRIPE_HOOK', 'STRIPE_KEY']);
      t.same(await h.service.list(billing, 'acme'), ['STRIPE_HOOK', 'STRIPE_KEY']);
      t.same(await h.service.list(operator, 'globex'), ['STRIPE_GLOBEX']);
      await t.rejects(h.service.list(bob, 'acme'), { code: 'E_FORBIDDEN', permission: 'secrets:list' });
      t.same(
        h.events().map((e) => [e.action, e.secret, e.outcome, e.crossTenant]),
        [
          ['secrets.list', null, 'allowed', false],
          ['secrets.list', null, 'allowed', false],
          ['secrets.list', null, 'allowed', true],
          ['secrets.list', null, 'denied', false],
        ],
      );
    });

    t.test('a provider failure is audited as failed', async (t) => {
      const provider = new InMemoryProvider({
        beforeCall: (c) => {
          if (c.method === 'list') throw new ProviderUnavailableError('down');
        },
      });
      const h = harness({ provider });
      await t.rejects(h.service.list(alice, 'acme'), { code: 'E_PROVIDER_UNAVAILABLE' });
      t.match(h.events(), [{ outcome: 'failed', reason: 'E_PROVIDER_UNAVAILABLE' }]);
    });
  });

  t.test('Method: versions', async (t) => {
    t.test('returns version metadata, newest first, without values', async (t) => {
      const h = harness();
      const one = plant();
      await h.service.set(aliceWriter, 'acme', 'K', Buffer.from(one));
      await h.service.set(aliceWriter, 'acme', 'K', Buffer.from('two'));
      const versions = await h.service.versions(alice, 'acme', 'K');
      t.same(
        versions.map((v) => [v.version, v.state]),
        [
          ['2', 'current'],
          ['1', 'previous'],
        ],
      );
      t.notOk(JSON.stringify(versions).includes(one));
      await t.rejects(h.service.versions(bob, 'acme', 'K'), { code: 'E_FORBIDDEN', permission: 'secrets:list' });
      t.same(
        h.events().map((e) => [e.action, e.outcome]),
        [
          ['secrets.set', 'allowed'],
          ['secrets.set', 'allowed'],
          ['secrets.versions', 'allowed'],
          ['secrets.versions', 'denied'],
        ],
      );
    });
  });

  t.test('Method: close', async (t) => {
    t.test('refuses later calls; closes an owned cache but not a shared one', async (t) => {
      const shared = new SecretCache();
      const h = harness();
      const other = createSecretsService({ providers: h.provider, policy: new Policy(POLICY_DOC), audit: memoryTrail().trail, cache: shared, environment: 'test' });
      h.service.close();
      other.close();
      await t.rejects(h.service.use(alice, 'acme', 'K', text), { code: 'E_CACHE_CLOSED' });
      t.notOk(shared.isClosed);
      shared.close();
    });
  });

  t.test('Property: tenantsPath', async (t) => {
    t.equal(harness().service.tenantsPath, 'vc/test/tenants/');
    t.equal(harness({ prefix: '' }).service.tenantsPath, 'test/tenants/');
  });
});

t.test('Function: createSecretsService', async (t) => {
  const provider = new InMemoryProvider();
  const audit = memoryTrail().trail;
  const policy = new Policy(POLICY_DOC);
  const good = { providers: provider, policy, audit, environment: 'prod' };

  t.test('throws ConfigError naming the bad option', async (t) => {
    const cases: [string, Record<string, unknown>][] = [
      ['no options', undefined as never],
      ['environment with a slash', { ...good, environment: 'prod/x' }],
      ['empty environment', { ...good, environment: '' }],
      ['prefix with ..', { ...good, prefix: 'a/../b' }],
      ['prefix with a space', { ...good, prefix: 'a b' }],
      ['providers not a client', { ...good, providers: {} }],
      ['empty clients', { ...good, providers: { clients: {} } }],
      ['routed to an unknown client', { ...good, providers: { clients: { a: provider }, tenants: { acme: 'b' } } }],
      ['default unknown', { ...good, providers: { clients: { a: provider }, default: 'b' } }],
      ['bad tenant key in routes', { ...good, providers: { clients: { a: provider }, tenants: { '../x': 'a' } } }],
      ['policy of the wrong type', { ...good, policy: 42 }],
      ['audit not a trail', { ...good, audit: { record() {}, recordSync() {} } }],
      ['cache of the wrong type', { ...good, cache: 'big' }],
    ];
    for (const [label, options] of cases) {
      t.throws(() => createSecretsService(options as never), { code: 'E_CONFIG' }, label);
    }
  });

  t.test('loads a policy file given by path (PolicyError on a bad one)', async (t) => {
    const dir = tmpdir(t, 'svc-policy');
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, 'roles:\n  reader:\n    grants:\n      - permissions: [secrets:read]\nmembers:\n  alice: [acme]\n');
    const service = createSecretsService({ ...good, policy: file, environment: 'test', prefix: 'vc' });
    await provider.put(path('acme', 'FROM_FILE'), Buffer.from('v'));
    t.equal(await service.use(alice, 'acme', 'FROM_FILE', text), 'v');
    writeFileSync(file, 'roles:\n  reader:\n    grants:\n      - permissions: [secrets:reed]\n');
    t.throws(() => createSecretsService({ ...good, policy: file }), { code: 'E_POLICY' });
  });

  t.test('uses a resolver function (async, and deny by default on a throw)', async (t) => {
    const p = new InMemoryProvider();
    await p.put(path('acme', 'K'), Buffer.from('v'));
    const { trail, events } = memoryTrail();
    const service = createSecretsService({
      providers: p,
      audit: trail,
      environment: 'test',
      prefix: 'vc',
      policy: async (ctx, tenant, permission) => {
        if (ctx.actor.id === 'boom') throw new Error('rbac down');
        if (ctx.actor.id === 'platform') return { allowed: true, crossTenant: true };
        return ctx.actor.id === 'alice' && tenant === 'acme' && permission === 'secrets:read';
      },
    });
    t.equal(await service.use(alice, 'acme', 'K', text), 'v');
    t.equal(await service.use(ctxOf('platform', []), 'acme', 'K', text), 'v');
    await t.rejects(service.use(ctxOf('boom', []), 'acme', 'K', text), { code: 'E_FORBIDDEN' });
    await t.rejects(service.use(bob, 'acme', 'K', text), { code: 'E_FORBIDDEN' });
    t.same(
      events().map((e) => [e.outcome, e.reason, e.crossTenant]),
      [
        ['allowed', null, false],
        ['allowed', null, true],
        ['denied', 'resolver-error', false],
        ['denied', 'resolver-denied', false],
      ],
    );
  });

  t.test('a custom Authorizer: a throw or an odd answer denies, and its reason text never reaches the trail', async (t) => {
    const p = new InMemoryProvider();
    await p.put(path('acme', 'K'), Buffer.from('v'));
    const { trail, events } = memoryTrail();
    const answers: unknown[] = [{ allowed: 'yes' }, { allowed: false, reason: 'PLANTED reason text', permission: 'x' }, null];
    let i = 0;
    const service = createSecretsService({
      providers: p,
      audit: trail,
      environment: 'test',
      prefix: 'vc',
      policy: {
        authorize: () => {
          if (i === answers.length) throw new Error('boom');
          return answers[i++] as never;
        },
      },
    });
    for (let n = 0; n < 4; n++) await t.rejects(service.use(alice, 'acme', 'K', text), { code: 'E_FORBIDDEN', permission: 'secrets:read' });
    t.same(
      events().map((e) => e.reason),
      ['resolver-denied', 'resolver-denied', 'resolver-denied', 'resolver-error'],
    );
    t.equal(p.callCount('get'), 0);
  });
});

t.test('Providers: routing by tenant', async (t) => {
  t.test('serves each tenant from its client, caches per client, and fails unrouted tenants with ConfigError', async (t) => {
    const standard = new InMemoryProvider({ scheme: 'aws' });
    const dedicated = new InMemoryProvider({ scheme: 'vault' });
    await standard.put(path('acme', 'K'), Buffer.from('from-standard'));
    await dedicated.put(path('acme', 'K'), Buffer.from('from-dedicated'));
    await dedicated.put(path('megacorp', 'K'), Buffer.from('mega'));
    const { trail, events } = memoryTrail();
    const cache = new SecretCache();
    const routed = createSecretsService({
      providers: { clients: { standard, dedicated }, tenants: { megacorp: 'dedicated' }, default: 'standard' },
      policy: new Policy({ roles: { op: { crossTenant: true, grants: [{ permissions: ['secrets:read'] }] } } }),
      audit: trail,
      cache,
      environment: 'test',
      prefix: 'vc',
    });
    const byFunction = createSecretsService({
      providers: { clients: { standard, dedicated }, tenants: (tenant) => (tenant === 'acme' ? 'dedicated' : undefined) },
      policy: new Policy({ roles: { op: { crossTenant: true, grants: [{ permissions: ['secrets:read'] }] } } }),
      audit: trail,
      cache,
      environment: 'test',
      prefix: 'vc',
    });
    const op = ctxOf('ops', ['op']);
    t.equal(await routed.use(op, 'acme', 'K', text), 'from-standard');
    t.equal(await routed.use(op, 'megacorp', 'K', text), 'mega');
    t.equal(await byFunction.use(op, 'acme', 'K', text), 'from-dedicated', 'same path, same shared cache, other client: not served the other value');
    await t.rejects(byFunction.use(op, 'megacorp', 'K', text), { code: 'E_CONFIG' });
    t.same(
      events().map((e) => [e.tenant, e.provider, e.outcome, e.reason]),
      [
        ['acme', 'aws', 'allowed', null],
        ['megacorp', 'vault', 'allowed', null],
        ['acme', 'vault', 'allowed', null],
        ['megacorp', null, 'failed', 'E_CONFIG'],
      ],
    );
    cache.close();
  });
});

t.test('Audit durability: batch', async (t) => {
  t.test('reads, writes and denials wait for the synced event; use still lends locked memory, zeroed after', async (t) => {
    const dir = tmpdir(t, 'svc-batch');
    const file = join(dir, 'audit.jsonl');
    const trail = new AuditTrail({ sink: { type: 'file', path: file, durability: 'batch' }, hmac, failClosed: true });
    const provider = new InMemoryProvider();
    const service = createSecretsService({ providers: provider, policy: new Policy(POLICY_DOC), audit: trail, environment: 'test', prefix: 'vc' });
    const value = plant();
    await service.set(aliceWriter, 'acme', 'K', Buffer.from(value));
    let lent: Buffer | undefined;
    t.equal(
      await service.use(aliceWriter, 'acme', 'K', (view) => {
        lent = view;
        return text(view);
      }),
      value,
    );
    t.ok(lent?.every((b) => b === 0), 'the held copy is zeroed once fn returned');
    t.equal((await service.get(aliceWriter, 'acme', 'K')).text(), value);
    await t.rejects(service.use(bob, 'acme', 'K', text), { code: 'E_FORBIDDEN' });
    await t.rejects(service.use(aliceWriter, 'acme', 'MISSING', text), { code: 'E_NOT_FOUND' });
    await t.rejects(service.use(aliceWriter, '../x', 'K', text), { code: 'E_INVALID_NAME' });
    await t.resolves(service.list(alice, 'acme'));
    await trail.close();
    const events = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    t.same(
      events.map((e) => [e.action, e.outcome, e.cache]),
      [
        ['secrets.set', 'allowed', 'none'],
        ['secrets.use', 'allowed', 'miss'],
        ['secrets.get', 'allowed', 'hit'],
        ['secrets.use', 'denied', 'none'],
        ['secrets.use', 'failed', 'none'],
        ['secrets.use', 'denied', 'none'],
        ['secrets.list', 'allowed', 'none'],
      ],
    );
    t.match(await verifyAuditLog(file), { ok: true, count: 7 });
    t.notOk(readFileSync(file, 'utf8').includes(value));
  });
});

t.test('RequestContext: a missing or malformed context is denied as invalid-actor', async (t) => {
  const h = harness();
  await h.provider.put(path('acme', 'K'), Buffer.from('v'));
  for (const ctx of [undefined, null, {}, { actor: { id: 7, roles: 'reader' } }, { actor: { id: 'alice' } }] as unknown as RequestContext[]) {
    await t.rejects(h.service.use(ctx, 'acme', 'K', text), { code: 'E_FORBIDDEN' });
  }
  t.same(
    h.events().map((e) => [e.outcome, e.reason]),
    Array(5).fill(['denied', 'invalid-actor']),
  );
  t.equal(h.provider.callCount('get'), 0);
});
