import { performance } from 'node:perf_hooks';
import t from 'tap';
import { createAuthorizer, Policy, type AccessContext, type AuthorizeResult, type PolicyDocument } from '../../src/access';
import { PolicyError } from '../../src/errors';

const ctx = (id: string, ...roles: string[]): AccessContext => ({ actor: { id, roles } });

const DOC: PolicyDocument = {
  roles: {
    billing: { grants: [{ permissions: ['secrets:read'], names: ['STRIPE_*', 'PAYPAL_?D'] }] },
    admin: { grants: [{ permissions: ['secrets:read', 'secrets:write', 'secrets:list', 'secrets:delete'] }, { permissions: ['audit:read'] }] },
    eu: { grants: [{ permissions: ['secrets:read'], tenants: ['acme-eu'] }] },
    staff: { memberOf: ['internal'], grants: [] },
    operator: { crossTenant: true, grants: [{ permissions: ['secrets:rotate', 'secrets:list'] }] },
    'eu-operator': { crossTenant: true, grants: [{ permissions: ['secrets:read'], names: ['DB_*'], tenants: ['acme-eu'] }] },
  },
  members: { alice: ['acme', 'acme-eu'], bob: ['globex'] },
};

t.test('Class: Policy', async (t) => {
  const policy = new Policy(DOC);

  t.test('Method: authorize', async (t) => {
    t.test('denies everything under an empty policy', async (t) => {
      const empty = new Policy({ roles: {} });
      t.same(empty.authorize(ctx('alice', 'admin'), 'acme', 'secrets:read', 'A'), { allowed: false, permission: 'secrets:read', reason: 'no-grant' });
    });
    t.test('allows a granted name in a member tenant', async (t) => {
      t.same(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:read', 'STRIPE_KEY'), { allowed: true, crossTenant: false });
      t.same(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:read', 'PAYPAL_ID'), { allowed: true, crossTenant: false });
    });
    t.test('denies a name outside the patterns, saying so', async (t) => {
      t.same(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:read', 'DB_PASSWORD'), { allowed: false, permission: 'secrets:read', reason: 'name-not-granted' });
      t.equal(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:read', 'PAYPAL_IDX').allowed, false, '? is exactly one character');
      t.equal(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:read', 'XSTRIPE_KEY').allowed, false, 'patterns are anchored');
    });
    t.test('denies a permission no role grants', async (t) => {
      t.match(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:write', 'STRIPE_KEY'), { allowed: false, permission: 'secrets:write', reason: 'no-grant' });
    });
    t.test('denies a tenant the actor is not a member of', async (t) => {
      t.match(policy.authorize(ctx('alice', 'billing'), 'globex', 'secrets:read', 'STRIPE_KEY'), { allowed: false, reason: 'tenant-not-granted' });
      t.match(policy.authorize(ctx('mallory', 'admin'), 'acme', 'secrets:read', 'A'), { allowed: false, reason: 'tenant-not-granted' });
    });
    t.test('limits a grant to its tenants', async (t) => {
      t.same(policy.authorize(ctx('alice', 'eu'), 'acme-eu', 'secrets:read', 'A'), { allowed: true, crossTenant: false });
      t.match(policy.authorize(ctx('alice', 'eu'), 'acme', 'secrets:read', 'A'), { allowed: false, reason: 'tenant-not-granted' });
    });
    t.test('gives membership through memberOf', async (t) => {
      t.same(policy.authorize(ctx('zoe', 'staff', 'admin'), 'internal', 'secrets:list'), { allowed: true, crossTenant: false });
      t.match(policy.authorize(ctx('zoe', 'admin'), 'internal', 'secrets:list'), { allowed: false });
    });
    t.test('allows platform roles in any tenant and reports it as cross-tenant', async (t) => {
      t.same(policy.authorize(ctx('carol', 'operator'), 'initech', 'secrets:rotate', 'X'), { allowed: true, crossTenant: true });
      t.same(policy.authorize(ctx('carol', 'eu-operator'), 'acme-eu', 'secrets:read', 'DB_X'), { allowed: true, crossTenant: true });
      t.match(policy.authorize(ctx('carol', 'eu-operator'), 'acme', 'secrets:read', 'DB_X'), { allowed: false, reason: 'tenant-not-granted' });
      t.match(policy.authorize(ctx('carol', 'eu-operator'), 'acme-eu', 'secrets:read', 'API_KEY'), { allowed: false, reason: 'name-not-granted' });
      t.match(policy.authorize(ctx('carol', 'operator'), 'initech', 'secrets:read', 'X'), { allowed: false, reason: 'no-grant' });
    });
    t.test('prefers membership over platform rights when both allow', async (t) => {
      t.same(policy.authorize(ctx('bob', 'operator'), 'globex', 'secrets:list'), { allowed: true, crossTenant: false });
    });
    t.test('answers "for at least one name" when no name is given', async (t) => {
      t.same(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:read'), { allowed: true, crossTenant: false });
      t.match(policy.authorize(ctx('alice', 'billing'), 'acme', 'secrets:list'), { allowed: false });
    });
    t.test('denies invalid input instead of throwing', async (t) => {
      const admin = ctx('alice', 'admin');
      t.match(policy.authorize(admin, '../acme', 'secrets:read', 'A'), { allowed: false, reason: 'invalid-tenant' });
      t.match(policy.authorize(admin, 'acme', 'secrets:read', '../A'), { allowed: false, reason: 'invalid-name' });
      t.match(policy.authorize(admin, 'acme', 'secrets:read', ''), { allowed: false, reason: 'invalid-name' });
      t.match(policy.authorize(admin, 'acme', 'secrets:admin' as 'secrets:read', 'A'), { allowed: false, permission: 'secrets:admin', reason: 'unknown-permission' });
      t.match(policy.authorize({ actor: { id: 'alice', roles: 'admin' as unknown as string[] } }, 'acme', 'secrets:read', 'A'), { reason: 'invalid-actor' });
      t.match(policy.authorize({} as AccessContext, 'acme', 'secrets:read', 'A'), { reason: 'invalid-actor' });
    });
    t.test('ignores roles named like Object.prototype members', async (t) => {
      for (const role of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
        t.match(policy.authorize(ctx('alice', role), 'acme', 'secrets:read', 'A'), { allowed: false, reason: 'no-grant' }, role);
      }
      t.match(policy.authorize(ctx('__proto__', 'admin'), 'acme', 'secrets:read', 'A'), { allowed: false });
    });
    t.test('costs well under 5 µs, allowed or denied', async (t) => {
      const run = (c: AccessContext, name: string, n: number): number => {
        let allowed = 0;
        const start = performance.now();
        for (let i = 0; i < n; i++) if (policy.authorize(c, 'acme', 'secrets:read', name).allowed) allowed++;
        const ns = ((performance.now() - start) * 1e6) / n;
        t.equal(allowed, name === 'STRIPE_KEY' ? n : 0);
        return ns;
      };
      const billing = ctx('alice', 'staff', 'billing');
      run(billing, 'STRIPE_KEY', 50_000);
      run(billing, 'DB_PASSWORD', 50_000);
      const allowNs = run(billing, 'STRIPE_KEY', 500_000);
      const denyNs = run(billing, 'DB_PASSWORD', 500_000);
      t.comment(`authorize: ${allowNs.toFixed(0)} ns/op allowed, ${denyNs.toFixed(0)} ns/op denied`);
      t.ok(allowNs < 5000, `allowed: ${allowNs.toFixed(0)} ns/op`);
      t.ok(denyNs < 5000, `denied: ${denyNs.toFixed(0)} ns/op`);
    });
  });

  t.test('validates the document and keeps a frozen copy', async (t) => {
    const doc = { roles: { r: { grants: [{ permissions: ['secrets:read'] }] } }, members: { a: ['acme'] } };
    const p = new Policy(doc);
    doc.roles.r.grants[0]!.permissions.push('secrets:write');
    doc.members.a.push('globex');
    t.match(p.authorize(ctx('a', 'r'), 'acme', 'secrets:write', 'X'), { allowed: false });
    t.match(p.authorize(ctx('a', 'r'), 'globex', 'secrets:read', 'X'), { allowed: false });
    t.ok(Object.isFrozen(p.document.roles.r?.grants[0]?.permissions));
    t.throws(() => new Policy({ roles: { r: { grants: [{ permissions: ['secrets:everything'] }] } } }), PolicyError);
    t.throws(() => new Policy(null), { name: 'PolicyError', message: /field \(root\): must be a mapping/ });
  });
});

t.test('Function: createAuthorizer', async (t) => {
  const policy = new Policy(DOC);
  t.test('returns a Policy as is (synchronous)', async (t) => {
    t.equal(createAuthorizer(policy), policy);
  });
  t.test('wraps a synchronous resolver synchronously', async (t) => {
    const calls: unknown[][] = [];
    const authz = createAuthorizer((c, tenant, permission, name) => {
      calls.push([c.actor.id, tenant, permission, name]);
      return tenant === 'acme';
    });
    t.same(authz.authorize(ctx('a'), 'acme', 'secrets:read', 'X'), { allowed: true, crossTenant: false });
    t.same(authz.authorize(ctx('a'), 'globex', 'secrets:read'), { allowed: false, permission: 'secrets:read', reason: 'resolver-denied' });
    t.same(calls, [['a', 'acme', 'secrets:read', 'X'], ['a', 'globex', 'secrets:read', undefined]]);
  });
  t.test('accepts a decision object and reports cross-tenant access', async (t) => {
    const authz = createAuthorizer(() => ({ allowed: true, crossTenant: true }));
    t.same(authz.authorize(ctx('a'), 'acme', 'secrets:list'), { allowed: true, crossTenant: true });
  });
  t.test('awaits an asynchronous resolver', async (t) => {
    const authz = createAuthorizer(async (_c, tenant) => tenant === 'acme');
    const r = authz.authorize(ctx('a'), 'acme', 'secrets:read', 'X');
    t.ok(r instanceof Promise);
    t.same(await r, { allowed: true, crossTenant: false });
    t.match(await authz.authorize(ctx('a'), 'globex', 'secrets:read', 'X'), { allowed: false, reason: 'resolver-denied' });
  });
  t.test('denies on anything but an explicit allow, a throw or a rejection', async (t) => {
    const answers: unknown[] = ['yes', 1, {}, { allowed: 'true' }, null, undefined];
    for (const answer of answers) {
      t.match(createAuthorizer(() => answer as boolean).authorize(ctx('a'), 'acme', 'secrets:read', 'X'), { allowed: false, reason: 'resolver-denied' }, String(answer));
    }
    t.match(
      createAuthorizer(() => {
        throw new Error('rbac down');
      }).authorize(ctx('a'), 'acme', 'secrets:read', 'X'),
      { allowed: false, reason: 'resolver-error' },
    );
    const rejected = createAuthorizer(() => Promise.reject(new Error('rbac down'))).authorize(ctx('a'), 'acme', 'secrets:read', 'X');
    t.match(await rejected, { allowed: false, reason: 'resolver-error' } satisfies Partial<AuthorizeResult>);
  });
  t.test('never calls the resolver with invalid input', async (t) => {
    let called = 0;
    const authz = createAuthorizer(() => {
      called++;
      return true;
    });
    t.match(authz.authorize(ctx('a'), '../x', 'secrets:read', 'X'), { reason: 'invalid-tenant' });
    t.match(authz.authorize(ctx('a'), 'acme', 'secrets:read', 'a/b'), { reason: 'invalid-name' });
    t.match(authz.authorize(ctx('a'), 'acme', 'root' as 'secrets:read', 'X'), { reason: 'unknown-permission' });
    t.equal(called, 0);
  });
  t.test('rejects a source that is neither', async (t) => {
    t.throws(() => createAuthorizer({} as Policy), TypeError);
  });
});
