'use strict';
// A request-driven service for the load test (scripts/load/run.js; docs/load.md), run under the preload:
//
//   node --expose-gc -r ./register.js examples/load-service/server.js
//
// - Its own secrets come from a kubelet-style mount through the preload (SECRETS_SOURCE, SECRETS_SCHEMA =
//   examples/load-service/schema.js). Every request reads the PAIR_A / PAIR_B pair through `secrets.use` and checks
//   that both carry the same generation marker: a mismatch would mean the request saw a mix of two snapshots.
// - Its tenants' secrets go through the multi-tenant SecretsService: N tenants (LOAD_TENANTS, default 1,000), an
//   RBAC policy with mixed roles (billing, tenant-admin, support, platform-operator), a fail-closed audit trail to
//   a JSONL file whose HMAC key is the mounted AUDIT_HMAC_KEY, a locked-memory cache, and a provider: the OpenBao /
//   Vault peer (LOAD_PROVIDER_URI + VAULT_TOKEN_FILE) or an InMemoryProvider (LOAD_PROVIDER_URI unset).
// - Every handled request makes exactly one service call (so one audit event); admin routes make none.
//
// Routes (bearer tokens stand in for authentication: `billing`, `ops`, `admin:<tenant>`, `support:<tenant>`):
//   POST /tenants/:t/sign                  HMAC of the body with the tenant's STRIPE_WEBHOOK_KEY (service.use)
//   POST /tenants/:t/call                  HMAC of the body with the tenant's API_TOKEN (service.use)
//   GET  /tenants/:t/secrets               the names the caller may list (service.list)
//   PUT  /tenants/:t/secrets/:name         write a new value, the request body (service.set)
//   GET  /admin/stats, POST /admin/stop    for the driver (header x-load-admin: LOAD_ADMIN_NONCE); not audited
//
// It prints JSON lines on stdout (ready, sample every LOAD_SAMPLE_MS with heap and VmLck, summary): never a value.
const { createHmac, randomUUID } = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.join(__dirname, '..', '..');
const dist = path.join(ROOT, 'dist');
const { secrets } = require(ROOT);
const { createSecretsService, InMemoryProvider } = require(path.join(dist, 'service'));
const { AuditHmac, AuditTrail } = require(path.join(dist, 'audit'));
const { SecretCache } = require(path.join(dist, 'cache'));
const { SecureArena } = require(path.join(dist, 'testing')); // @valuecanvas/secrets/testing
// Internal, for the load test's leak check only: the preload's arena (not a public API).
const { getRuntime } = require(path.join(dist, 'runtime', 'runtimeSlot.js'));
const { Policy } = require(path.join(dist, 'access'));
const { ProviderRegistry } = require(path.join(dist, 'providers'));
const { isSecretsError } = require(path.join(dist, 'errors'));

const env = process.env;
const TENANTS = Number(env.LOAD_TENANTS ?? 1000);
const SAMPLE_MS = Number(env.LOAD_SAMPLE_MS ?? 5000);
const ADMIN_NONCE = env.LOAD_ADMIN_NONCE ?? '';
const TENANT_NAMES = ['STRIPE_WEBHOOK_KEY', 'API_TOKEN'];
const INJECT_LEAK = env.LOAD_INJECT_LEAK === '1';
const leaked = [];
const say = (event) => process.stdout.write(JSON.stringify(event) + '\n');
const tenantId = (i) => `t${String(i).padStart(4, '0')}`;

/** The policy: 1,000 tenants, four roles, deny by default. */
function policyDocument(tenants) {
  const members = { 'svc-billing': tenants, 'ops@platform': [] };
  for (const t of tenants) {
    members[`admin@${t}`] = [t];
    members[`support@${t}`] = [t];
  }
  return {
    version: 1,
    roles: {
      billing: { description: 'the payment service: Stripe keys only', grants: [{ permissions: ['secrets:read'], names: ['STRIPE_*'] }] },
      'tenant-admin': { grants: [{ permissions: ['secrets:read', 'secrets:write', 'secrets:list'] }] },
      support: { description: 'may see which secrets exist, never a value', grants: [{ permissions: ['secrets:list'] }] },
      'platform-operator': { crossTenant: true, grants: [{ permissions: ['secrets:list'] }] },
    },
    members,
  };
}

/** Bearer token -> actor; a stand-in for real authentication (tokens here guard nothing). */
function actorOf(req) {
  const token = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (token === 'billing') return { id: 'svc-billing', roles: ['billing'] };
  if (token === 'ops') return { id: 'ops@platform', roles: ['platform-operator'] };
  const m = /^(admin|support):(t\d{4})$/.exec(token ?? '');
  if (!m) return undefined;
  return m[1] === 'admin' ? { id: `admin@${m[2]}`, roles: ['tenant-admin'] } : { id: `support@${m[2]}`, roles: ['support'] };
}

/** Hex digits in locked memory -> a fresh Buffer of the bytes (no JS string in between). Zero it after use. */
function hexToBytes(view) {
  const digit = (c) => (c <= 57 ? c - 48 : (c | 0x20) - 87);
  const out = Buffer.alloc(view.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = (digit(view[2 * i]) << 4) | digit(view[2 * i + 1]);
  return out;
}

/**
 * The snapshot check of one request: PAIR_A and PAIR_B are read in one synchronous run (a swap cannot come in
 * between), and both must carry the same marker `PLANTg<6 digits>.`. Returns the generation, or -1 for a mix.
 */
function pairGeneration() {
  return secrets.use('PAIR_A', (a) =>
    secrets.use('PAIR_B', (b) => {
      if (a.length < 13 || b.length < 13 || a[5] !== 0x67 || a[12] !== 0x2e) return -1;
      let gen = 0;
      for (let i = 5; i < 13; i++) {
        if (a[i] !== b[i]) return -1;
        if (i >= 6 && i < 12) gen = gen * 10 + (a[i] - 48);
      }
      return gen;
    }),
  );
}

function readVmLckKb() {
  const m = /^VmLck:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) : -1;
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** HTTP status of a library error (its code is safe to return; its message is for logs). */
function statusOf(error) {
  if (!isSecretsError(error)) return 500;
  return { E_FORBIDDEN: 403, E_INVALID_NAME: 400, E_NOT_FOUND: 404, E_CONFLICT: 409, E_AUDIT_WRITE: 503, E_PROVIDER_UNAVAILABLE: 503 }[error.code] ?? 502;
}

async function seed(provider, tenantsPath, file) {
  // The tenants' first values, written straight to the backend as an operator's provisioning would (not
  // through the service: these are not requests, and they are not audited).
  const seedValues = JSON.parse(fs.readFileSync(file, 'utf8'));
  const jobs = [];
  for (const [t, values] of Object.entries(seedValues)) for (const name of TENANT_NAMES) jobs.push([`${tenantsPath}${t}/${name}`, values[name]]);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const [logical, value] = jobs[next++];
      const bytes = Buffer.from(value, 'utf8');
      await provider.put(logical, bytes);
      bytes.fill(0);
    }
  };
  await Promise.all(Array.from({ length: 32 }, worker));
  return jobs.length;
}

async function main() {
  if (!secrets.isLoaded) throw new Error('start this under the preload: node -r ./register.js examples/load-service/server.js');
  const tenants = Array.from({ length: TENANTS }, (_, i) => tenantId(i));
  const startedAt = performance.now();

  // The audit key comes from the mount (locked memory) into AuditHmac's own locked region.
  const hmac = secrets.use('AUDIT_HMAC_KEY', (view) => {
    const key = hexToBytes(view);
    try {
      return new AuditHmac({ key });
    } finally {
      key.fill(0);
    }
  });
  const audit = new AuditTrail({ sink: { type: 'file', path: env.LOAD_AUDIT_FILE }, hmac, failClosed: true });
  audit.open();
  const providerUri = env.LOAD_PROVIDER_URI;
  const provider = providerUri ? await ProviderRegistry.withBuiltins().create(new URL(providerUri)) : new InMemoryProvider();
  // A cache (and its locked arena) of our own, not closed by the service, so that their counters can be reported.
  const cacheArena = new SecureArena();
  const cache = new SecretCache({ arena: cacheArena, ttlMs: Number(env.LOAD_CACHE_TTL_MS ?? 5000), maxStaleMs: 30_000, maxEntries: 10_000 });
  const service = createSecretsService({
    providers: provider,
    policy: new Policy(policyDocument(tenants), { source: 'load-service policy' }),
    audit,
    cache,
    environment: 'load',
    prefix: 'valuecanvas',
  });
  const seeded = env.LOAD_SEED_FILE ? await seed(provider, service.tenantsPath, env.LOAD_SEED_FILE) : 0;

  // Counters (never values).
  const stats = {
    handled: 0, // requests that made a service call: exactly one audit event each
    byStatus: {},
    byRoute: {},
    mixedSnapshots: 0,
    generationRegressions: 0,
    generationsSeen: new Set(),
    maxGeneration: -1,
    rotatedEvents: 0,
    rotatedGeneration: -1, // the generation of the pair after the last 'rotated' event
    rejectedEvents: 0,
    otherRequests: 0, // unknown routes, unauthenticated: no service call (must stay 0 in the load test)
  };
  secrets.on('rotated', (e) => {
    stats.rotatedEvents++;
    stats.rotatedGeneration = pairGeneration();
    say({ event: 'rotated', names: e.names, generation: stats.rotatedGeneration });
  });
  secrets.on('rejected', (e) => {
    stats.rejectedEvents++;
    say({ event: 'rejected', names: e.names });
  });

  const count = (route, status) => {
    stats.byStatus[status] = (stats.byStatus[status] ?? 0) + 1;
    const r = (stats.byRoute[route] ??= {});
    r[status] = (r[status] ?? 0) + 1;
  };
  const reply = (res, status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

  async function handle(req, res) {
    const url = new URL(req.url, 'http://load');
    if (url.pathname.startsWith('/admin/')) return admin(req, res, url.pathname);
    // The preload's secrets: every request reads the pair and checks it is one snapshot.
    const generation = pairGeneration();
    if (generation < 0) {
      stats.mixedSnapshots++;
      stats.otherRequests++;
      return reply(res, 500, { error: 'mixed-snapshot' });
    }
    if (generation < stats.maxGeneration) stats.generationRegressions++;
    if (generation > stats.maxGeneration) stats.maxGeneration = generation;
    stats.generationsSeen.add(generation);

    const actor = actorOf(req);
    const m = /^\/tenants\/([^/]+)\/(sign|call|secrets)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!actor || !m) {
      stats.otherRequests++;
      return reply(res, actor ? 404 : 401, { error: actor ? 'no such route' : 'unauthenticated' });
    }
    const tenant = decodeURIComponent(m[1]);
    const ctx = { actor, requestId: req.headers['x-request-id'] ?? randomUUID() };
    const route = m[3] !== undefined ? `${req.method} secret` : `${req.method} ${m[2]}`;
    let call;
    if (req.method === 'POST' && (m[2] === 'sign' || m[2] === 'call') && m[3] === undefined) {
      const body = await readBody(req);
      const name = m[2] === 'sign' ? 'STRIPE_WEBHOOK_KEY' : 'API_TOKEN';
      call = () => service.use(ctx, tenant, name, (key, meta) => ({ tag: createHmac('sha256', key).update(body).digest('hex').slice(0, 16), version: meta.version, cache: meta.cache }));
    } else if (req.method === 'GET' && m[2] === 'secrets' && m[3] === undefined) {
      call = async () => ({ names: await service.list(ctx, tenant) });
    } else if (req.method === 'PUT' && m[2] === 'secrets' && m[3] !== undefined) {
      const value = await readBody(req);
      call = async () => {
        try {
          return await service.set(ctx, tenant, decodeURIComponent(m[3]), value);
        } finally {
          value.fill(0);
        }
      };
    } else {
      stats.otherRequests++;
      return reply(res, 405, { error: 'method not allowed' });
    }
    stats.handled++;
    // LOAD_INJECT_LEAK=1: keep one small object per request, the shape of a typical leak (a map of request ids
    // nobody clears). Only to show that the load test's heap check catches it (docs/load.md); never set otherwise.
    if (INJECT_LEAK) leaked.push({ requestId: ctx.requestId });
    try {
      const result = await call();
      count(route, 200);
      return reply(res, 200, { ...result, generation });
    } catch (error) {
      const status = statusOf(error);
      count(route, status);
      if (status >= 500) say({ event: 'error', route, code: isSecretsError(error) ? error.code : 'internal', name: error?.name });
      return reply(res, status, { error: isSecretsError(error) ? error.code : 'internal', ...(error.permission ? { permission: error.permission } : {}), generation });
    }
  }

  const samples = [];
  const sample = (isFinal = false) => {
    const gcStartedAt = performance.now();
    if (typeof globalThis.gc === 'function') globalThis.gc(); // heap after a full GC: what is retained, not garbage
    const gcMs = Math.round((performance.now() - gcStartedAt) * 10) / 10;
    const m = process.memoryUsage();
    const s = { t: Math.round((performance.now() - readyAt) / 100) / 10, heapUsed: m.heapUsed, rss: m.rss, external: m.external, arrayBuffers: m.arrayBuffers, vmLckKb: readVmLckKb(), handled: stats.handled, auditEvents: audit.head().seq, cacheEntries: cache.stats().entries };
    // Locked slices alive: the cache's (one per entry) and the preload's (one per secret, two during a swap).
    const arena = cacheArena.stats();
    s.cacheSlices = arena.liveSlices;
    s.cacheLockedBytes = arena.lockedBytes;
    s.preloadSlices = getRuntime()?.arena.stats().liveSlices ?? -1;
    s.gcMs = gcMs;
    if (isFinal) s.final = true;
    samples.push(s);
    say({ event: 'sample', ...s });
  };

  function summary() {
    return {
      handled: stats.handled,
      auditHead: audit.head().seq,
      byStatus: stats.byStatus,
      byRoute: stats.byRoute,
      mixedSnapshots: stats.mixedSnapshots,
      generationRegressions: stats.generationRegressions,
      generationsSeen: stats.generationsSeen.size,
      maxGeneration: stats.maxGeneration,
      rotatedEvents: stats.rotatedEvents,
      rotatedGeneration: stats.rotatedGeneration,
      rejectedEvents: stats.rejectedEvents,
      otherRequests: stats.otherRequests,
      seeded,
      cache: cache.stats(),
      samples,
    };
  }

  async function admin(req, res, pathname) {
    if (req.headers['x-load-admin'] !== ADMIN_NONCE || ADMIN_NONCE === '') return reply(res, 403, { error: 'admin only' });
    if (pathname === '/admin/stats') return reply(res, 200, summary());
    if (pathname === '/admin/sample' && req.method === 'POST') {
      sample();
      return reply(res, 200, samples.at(-1));
    }
    if (pathname === '/admin/stop' && req.method === 'POST') {
      clearInterval(sampler);
      reply(res, 200, { stopping: true });
      server.close();
      server.closeAllConnections();
      sample(true); // a last sample (the load is over), then the counters, before anything is closed
      const final = summary();
      service.close();
      cache.close();
      await audit.close();
      hmac.close();
      await provider.close();
      say({ event: 'summary', ...final, auditHead: audit.head().seq });
      process.exit(0);
    }
    return reply(res, 404, { error: 'no such admin route' });
  }

  const server = http.createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    handle(req, res).catch((error) => {
      say({ event: 'error', route: 'handler', code: isSecretsError(error) ? error.code : 'internal', name: error?.name });
      if (!res.headersSent) reply(res, 500, { error: 'internal' });
    });
  });
  await new Promise((resolve) => server.listen(Number(env.LOAD_PORT ?? 0), '127.0.0.1', resolve));
  const readyAt = performance.now();
  const sampler = setInterval(() => sample(), SAMPLE_MS);
  sample();
  say({ event: 'ready', port: server.address().port, tenants: TENANTS, provider: provider.scheme, seeded, startupMs: Math.round(readyAt - startedAt), generation: pairGeneration() });
}

main().catch((error) => {
  say({ event: 'fatal', code: isSecretsError(error) ? error.code : 'internal', name: error?.name, message: isSecretsError(error) ? error.message : undefined });
  process.exit(1);
});
