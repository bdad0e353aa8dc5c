// Hostile tenant ids and names are refused before anything else happens: no policy check, no cache lookup, no
// provider call (all counted); the refusal is audited as denied, never as allowed, without echoing the input.
import t, { type Test } from 'tap';
import { SecretCache } from '../../src/cache';
import { createSecretsService, InMemoryProvider, type RequestContext, type SecretsService } from '../../src/service';
import { ctxOf, everythingOf, memoryTrail } from './fixtures/serviceKit';

const HOSTILE_TENANTS: [string, unknown][] = [
  ['empty', ''],
  ['dot', '.'],
  ['dot-dot', '..'],
  ['traversal', '../acme'],
  ['traversal after', 'acme/..'],
  ['separator', 'acme/globex'],
  ['leading slash', '/acme'],
  ['trailing slash', 'acme/'],
  ['backslash', 'acme\\globex'],
  ['windows traversal', '..\\acme'],
  ['percent-encoded dots', '%2e%2e'],
  ['percent-encoded slash', 'acme%2Fglobex'],
  ['double-encoded', '%252e%252e'],
  ['NUL', 'acme\u0000'],
  ['newline', 'acme\n'],
  ['CRLF injection', 'acme\r\n{"outcome":"allowed"}'],
  ['leading space', ' acme'],
  ['tab', 'ac\tme'],
  ['Cyrillic look-alike', '\u0430cme'],
  ['fullwidth letters', '\uff41\uff43\uff4d\uff45'],
  ['zero-width space', 'acme\u200b'],
  ['right-to-left override', '\u202eemca'],
  ['combining accent', 'acm\u0301e'],
  ['variation selector', 'acme\ufe0f'],
  ['leading dash', '-acme'],
  ['dot inside', 'acme.corp'],
  ['glob', 'acme*'],
  ['shell', 'acme;rm'],
  ['template', '${tenant}'],
  ['65 characters', 'a'.repeat(65)],
  ['100,000 characters', 'a'.repeat(100_000)],
  ['undefined', undefined],
  ['null', null],
  ['number', 42],
  ['object with toString', { toString: () => 'acme' }],
  ['array', ['acme']],
];

const HOSTILE_NAMES: [string, unknown][] = [
  ['empty', ''],
  ['dot', '.'],
  ['dot-dot', '..'],
  ['traversal', '../DB_PASSWORD'],
  ['traversal into another tenant', '../../globex/DB_PASSWORD'],
  ['separator', 'a/b'],
  ['leading slash', '/K'],
  ['trailing slash', 'K/'],
  ['backslash', 'a\\b'],
  ['percent-encoded traversal', '%2e%2e%2fK'],
  ['percent-encoded NUL', 'K%00'],
  ['NUL', 'K\u0000'],
  ['newline', 'K\n'],
  ['leading space', ' K'],
  ['fullwidth K', '\uff2b'],
  ['Cyrillic K', '\u041a'],
  ['zero-width joiner', 'K\u200d'],
  ['right-to-left override', '\u202eK'],
  ['hidden file', '.hidden'],
  ['option-like', '-rf'],
  ['dot-dot inside', 'a..b'],
  ['glob', 'STRIPE_*'],
  ['question mark', 'K?'],
  ['129 characters', 'x'.repeat(129)],
  ['1,000,000 characters', 'x'.repeat(1_000_000)],
  ['undefined', undefined],
  ['null', null],
  ['number', 7],
  ['object with toString', { toString: () => 'K' }],
];

interface Counted {
  service: SecretsService;
  provider: InMemoryProvider;
  cache: SecretCache;
  authorizeCalls: () => number;
  events: ReturnType<typeof memoryTrail>['events'];
}

function counted(): Counted {
  const provider = new InMemoryProvider();
  const cache = new SecretCache();
  const { trail, events } = memoryTrail();
  let authorizeCalls = 0;
  const service = createSecretsService({
    providers: provider,
    // Allows everything: only validation can stop these calls.
    policy: {
      authorize: () => {
        authorizeCalls++;
        return { allowed: true, crossTenant: false };
      },
    },
    audit: trail,
    cache,
    environment: 'test',
    prefix: 'vc',
  });
  return { service, provider, cache, authorizeCalls: () => authorizeCalls, events };
}

const ctx: RequestContext = ctxOf('alice', ['admin']);
type Method = (s: SecretsService, tenant: unknown, name: unknown) => Promise<unknown>;
const METHODS: [string, Method][] = [
  ['get', (s, tenant, name) => s.get(ctx, tenant as string, name as string)],
  ['use', (s, tenant, name) => s.use(ctx, tenant as string, name as string, (v) => v.length)],
  ['set', (s, tenant, name) => s.set(ctx, tenant as string, name as string, Buffer.from('v'))],
  ['delete', (s, tenant, name) => s.delete(ctx, tenant as string, name as string)],
  ['versions', (s, tenant, name) => s.versions(ctx, tenant as string, name as string)],
];

async function expectRefused(t: Test, h: Counted, call: () => Promise<unknown>, reason: string, label: string): Promise<void> {
  const before = h.events().length;
  let error: unknown;
  try {
    await call();
  } catch (e) {
    error = e;
  }
  t.match(error, { code: 'E_INVALID_NAME', name: 'InvalidSecretNameError' }, `${label}: E_INVALID_NAME`);
  const events = h.events();
  t.equal(events.length, before + 1, `${label}: one event`);
  t.match(events.at(-1), { outcome: 'denied', reason, provider: null, version: null, cache: 'none' }, `${label}: audited as denied (${reason})`);
  t.notOk(events.some((e) => e.outcome === 'allowed'), `${label}: nothing audited as allowed`);
}

t.test('Hostile input: tenant ids', async (t) => {
  const h = counted();
  for (const [label, tenant] of HOSTILE_TENANTS) {
    for (const [method, call] of METHODS) await expectRefused(t, h, () => call(h.service, tenant, 'K'), 'invalid-tenant', `${method} with tenant ${label}`);
    await expectRefused(t, h, () => h.service.list(ctx, tenant as string), 'invalid-tenant', `list with tenant ${label}`);
  }
  t.equal(h.provider.callCount(), 0, 'the provider was never called');
  t.equal(h.authorizeCalls(), 0, 'the policy was never asked');
  t.match(h.cache.stats(), { hits: 0, misses: 0, loads: 0 }, 'the cache was never consulted');
});

t.test('Hostile input: secret names', async (t) => {
  const h = counted();
  for (const [label, name] of HOSTILE_NAMES) {
    for (const [method, call] of METHODS) await expectRefused(t, h, () => call(h.service, 'acme', name), 'invalid-name', `${method} with name ${label}`);
  }
  t.equal(h.provider.callCount(), 0);
  t.equal(h.authorizeCalls(), 0);
  t.match(h.cache.stats(), { hits: 0, misses: 0, loads: 0 });
});

t.test('Hostile input: versions and tokens', async (t) => {
  const h = counted();
  for (const version of ['../1', '1/2', '', 'v 1', '1\u0000', 'x'.repeat(129), 5, null]) {
    await expectRefused(t, h, () => h.service.use(ctx, 'acme', 'K', (v) => v.length, { version: version as string }), 'invalid-version', `use version ${JSON.stringify(version)}`);
    await expectRefused(t, h, () => h.service.set(ctx, 'acme', 'K', Buffer.from('v'), { expectedVersion: version as string }), 'invalid-version', `set expectedVersion ${JSON.stringify(version)}`);
  }
  for (const token of ['short', 'x'.repeat(65), 'a'.repeat(31) + '/', 42]) {
    await expectRefused(t, h, () => h.service.set(ctx, 'acme', 'K', Buffer.from('v'), { token: token as string }), 'invalid-token', `token ${JSON.stringify(token)}`);
  }
  t.equal(h.provider.callCount(), 0);
  t.equal(h.authorizeCalls(), 0);
});

t.test('Hostile input: refusals never echo the input', async (t) => {
  const h = counted();
  const marker = 'MARKER\u202e../../etc/passwd';
  for (const [, call] of METHODS) {
    for (const [tenant, name] of [
      [marker, 'K'],
      ['acme', marker],
    ]) {
      const error = await call(h.service, tenant, name).catch((e: unknown) => e);
      t.notOk(everythingOf(error).includes('MARKER'), 'not in the error');
    }
  }
  t.notOk(
    h.events().some((e) => JSON.stringify(e).includes('MARKER')),
    'not in the audit trail (recorded as HMAC references)',
  );
  t.ok(h.events().every((e) => e.tenant === 'acme' || /^hmac-sha256:[0-9a-f]{64}$/.test(String(e.tenant))));
});

t.test('Boundaries: the longest valid tenant id and name are served', async (t) => {
  const h = counted();
  const tenant = 'a'.repeat(64);
  const name = 'x'.repeat(128);
  await h.service.set(ctx, tenant, name, Buffer.from('v'));
  t.equal(await h.service.use(ctx, tenant, name, (v) => v.toString()), 'v');
  t.same(
    h.events().map((e) => e.outcome),
    ['allowed', 'allowed'],
  );
});
