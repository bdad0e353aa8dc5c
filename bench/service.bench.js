'use strict';
// The multi-tenant SecretsService (issue 4, "Benchmark"):
//   memlock: 10,000 tenants x 5 secrets of 64 bytes, all read through service.use (authorised, audited to a file)
//            and cached at once, in a child running as uid 65534 under RLIMIT_MEMLOCK = 8 MiB: locked bytes per
//            secret (VmLck / 50,000), every region locked, and a second pass served from the cache.
//   latency: per call, `await service.use(...)` on a cache hit (authorise + audit event written to a JSONL file +
//            cache hit) vs a bare `await cache.use(...)` hit, p50/p99, interleaved rounds, in a child pinned to one
//            core (taskset); then sustained audited reads per second on that core, and the audit chain verified.
// The children are this file run with an argument (`node bench/service.bench.js memlock-child|latency-child`);
// they print JSON lines with counts and timings, never a value.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.join(__dirname, '..');
const SELF = path.join(__dirname, 'service.bench.js');
const DIST = path.join(ROOT, 'dist');
const LIMIT = 8 * 1024 * 1024;
const NOBODY = 65534;
const TENANTS = 10_000;
const PER_TENANT = 5;
const VALUE_BYTES = 64;
const P99_TARGET_US = 25;
const RATE_TARGET = 20_000;

const say = (event) => fs.writeSync(1, JSON.stringify(event) + '\n');

/** The library pieces a child needs, from dist/. */
function lib() {
  return {
    ...require(path.join(DIST, 'service')),
    ...require(path.join(DIST, 'audit')),
    ...require(path.join(DIST, 'access')),
    ...require(path.join(DIST, 'cache')),
    SecureArena: require(path.join(DIST, 'memory', 'SecureArena.js')).SecureArena,
  };
}

function vmLck() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  return Number(/^VmLck:\s+(\d+) kB/m.exec(s)?.[1] ?? NaN) * 1024;
}

/** The policy of N tenants: each tenant's service account is a member of it and may read there. */
function tenantPolicy(Policy, tenants) {
  const members = {};
  for (let i = 0; i < tenants; i++) members[`svc-t${i}`] = [`t${i}`];
  return new Policy({ roles: { reader: { grants: [{ permissions: ['secrets:read'] }] } }, members });
}

// ---------------------------------------------------------------------------------------------------------------
// Child: 50,000 secrets cached in locked memory, as nobody under an 8 MiB memlock limit.
// ---------------------------------------------------------------------------------------------------------------
async function memlockChild() {
  const L = lib();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-svc-memlock-'));
  try {
    let lockFailures = 0;
    const arena = new L.SecureArena({ onLockFailure: () => lockFailures++ });
    const cache = new L.SecretCache({ arena, maxEntries: TENANTS * PER_TENANT, ttlMs: 3_600_000 });
    const provider = new L.InMemoryProvider();
    const hmac = new L.AuditHmac({ key: require('node:crypto').randomBytes(32) });
    const trail = new L.AuditTrail({ sink: { type: 'file', path: path.join(dir, 'audit.jsonl') }, hmac, failClosed: true });
    const service = L.createSecretsService({ providers: provider, policy: tenantPolicy(L.Policy, TENANTS), audit: trail, cache, environment: 'bench', prefix: 'vc' });
    const random = Buffer.alloc(VALUE_BYTES);
    const sodium = require(path.join(ROOT, 'node_modules', 'sodium-native'));
    for (let i = 0; i < TENANTS; i++) {
      for (let j = 0; j < PER_TENANT; j++) {
        sodium.randombytes_buf(random);
        await provider.put(`vc/bench/tenants/t${i}/SECRET_${j}`, random);
      }
    }
    sodium.sodium_memzero(random);
    const before = vmLck();
    const started = Date.now();
    let lent = 0;
    for (let pass = 0; pass < 2; pass++) {
      for (let i = 0; i < TENANTS; i++) {
        const ctx = { actor: { id: `svc-t${i}`, roles: ['reader'] }, requestId: `m${pass}-${i}` };
        for (let j = 0; j < PER_TENANT; j++) lent += await service.use(ctx, `t${i}`, `SECRET_${j}`, (view) => view.length);
      }
      if (pass === 0) say({ progress: 'loaded', stats: cache.stats() });
    }
    const after = vmLck();
    say({
      done: true,
      uid: process.getuid(),
      count: TENANTS * PER_TENANT,
      lent,
      ms: Date.now() - started,
      vmLckBefore: before,
      vmLckAfter: after,
      lockFailures,
      arena: arena.stats(),
      cache: cache.stats(),
      providerGets: provider.callCount('get'),
      auditEvents: trail.head().seq,
    });
    service.close();
    cache.close();
    await trail.close();
    hmac.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Child: latency of an audited cache hit vs a bare cache hit, then sustained audited reads per second.
// ---------------------------------------------------------------------------------------------------------------
async function latencyChild(auditFile, quick) {
  const L = lib();
  const tenants = 100;
  const provider = new L.InMemoryProvider();
  const hmac = new L.AuditHmac({ key: require('node:crypto').randomBytes(32) });
  const trail = new L.AuditTrail({ sink: { type: 'file', path: auditFile }, hmac, failClosed: true });
  const cache = new L.SecretCache({ ttlMs: 3_600_000 });
  const bare = new L.SecretCache({ ttlMs: 3_600_000 });
  const service = L.createSecretsService({ providers: provider, policy: tenantPolicy(L.Policy, tenants), audit: trail, cache, environment: 'bench', prefix: 'vc' });
  const targets = [];
  for (let i = 0; i < tenants; i++) {
    for (let j = 0; j < PER_TENANT; j++) {
      const p = `vc/bench/tenants/t${i}/SECRET_${j}`;
      await provider.put(p, require('node:crypto').randomBytes(VALUE_BYTES));
      const key = L.cacheKey('bare', p);
      const loader = () => provider.get(p);
      targets.push({ ctx: { actor: { id: `svc-t${i}`, roles: ['reader'] }, requestId: `req-${i}-${j}` }, tenant: `t${i}`, name: `SECRET_${j}`, key, loader });
      await service.use(targets.at(-1).ctx, `t${i}`, `SECRET_${j}`, () => 0);
      await bare.use(key, loader, () => 0);
    }
  }
  const fn = (view) => view[0];
  const rounds = quick ? 4 : 20;
  const perRound = quick ? 5_000 : 10_000;
  const audited = new Float64Array(rounds * perRound);
  const base = new Float64Array(rounds * perRound);
  let sink = 0;
  const runAudited = async (out, offset) => {
    for (let k = 0; k < perRound; k++) {
      const x = targets[k % targets.length];
      const t0 = performance.now();
      sink += await service.use(x.ctx, x.tenant, x.name, fn);
      out[offset + k] = performance.now() - t0;
    }
  };
  const runBare = async (out, offset) => {
    for (let k = 0; k < perRound; k++) {
      const x = targets[k % targets.length];
      const t0 = performance.now();
      sink += await bare.use(x.key, x.loader, fn);
      out[offset + k] = performance.now() - t0;
    }
  };
  // Warm-up (JIT), then interleaved rounds in alternating order.
  await runAudited(new Float64Array(perRound), 0);
  await runBare(new Float64Array(perRound), 0);
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      await runAudited(audited, r * perRound);
      await runBare(base, r * perRound);
    } else {
      await runBare(base, r * perRound);
      await runAudited(audited, r * perRound);
    }
  }
  // Sustained: sequential audited reads on this (pinned) core for a fixed time.
  const seconds = quick ? 1 : 5;
  const seqBefore = trail.head().seq;
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let reads = 0;
  while (performance.now() < end) {
    for (let k = 0; k < 1000; k++) {
      const x = targets[(reads + k) % targets.length];
      sink += await service.use(x.ctx, x.tenant, x.name, fn);
    }
    reads += 1000;
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  const events = trail.head().seq - seqBefore;
  await trail.close();
  const stats = cache.stats();
  service.close();
  bare.close();
  hmac.close();
  const q = (xs, p) => {
    const s = Float64Array.from(xs).sort();
    return s[Math.min(s.length - 1, Math.floor(p * (s.length - 1)))];
  };
  say({
    done: true,
    sink: sink > 0,
    calls: audited.length,
    auditedP50: q(audited, 0.5) * 1000,
    auditedP99: q(audited, 0.99) * 1000,
    auditedP999: q(audited, 0.999) * 1000,
    bareP50: q(base, 0.5) * 1000,
    bareP99: q(base, 0.99) * 1000,
    reads,
    seconds: elapsed,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    events,
    hits: stats.hits,
    providerGets: provider.callCount('get'),
    totalEvents: trail.head().seq,
  });
}

// ---------------------------------------------------------------------------------------------------------------
// The module.
// ---------------------------------------------------------------------------------------------------------------
function hasTool(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

function runChild(argv, what) {
  const r = spawnSync(argv[0], argv.slice(1), { cwd: '/', env: { PATH: process.env.PATH ?? '', HOME: '/' }, encoding: 'utf8', timeout: 300_000, maxBuffer: 16 * 1024 * 1024 });
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  const lines = r.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));
  const done = lines.find((l) => l.done);
  if (!done || r.status !== 0) throw new Error(`${what} did not finish (exit ${r.status ?? r.signal}); last progress: ${JSON.stringify(lines.at(-1) ?? null)}`);
  return done;
}

const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

async function run(ctx) {
  const isRoot = process.getuid() === 0;
  for (const tool of ['prlimit', ...(isRoot ? ['setpriv'] : [])]) {
    if (!hasTool(tool)) throw new Error(`${tool} (util-linux) is needed to run as a non-root user under an 8 MiB memlock limit`);
  }
  for (const p of [process.execPath, SELF, path.join(DIST, 'service', 'index.js'), path.join(ROOT, 'node_modules', 'sodium-native', 'index.js')]) {
    if ((fs.statSync(p).mode & 0o004) === 0) throw new Error(`${p} is not world-readable; the non-root child cannot load it`);
  }
  const rows = [];

  // 1. 50,000 cached secrets in locked memory as nobody.
  ctx.log(`memlock: ${fmtInt(TENANTS)} tenants x ${PER_TENANT} secrets through service.use, child as ${isRoot ? 'uid 65534 (setpriv)' : `uid ${process.getuid()}`}, RLIMIT_MEMLOCK ${mib(LIMIT)}`);
  const memArgv = ['prlimit', `--memlock=${LIMIT}:${LIMIT}`, '--core=0'];
  if (isRoot) memArgv.push('setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups');
  memArgv.push(process.execPath, SELF, 'memlock-child');
  const m = runChild(memArgv, 'memlock child');
  if (m.uid === 0) throw new Error('the memlock child ran as root; the limit would not apply');
  const count = m.count;
  const perSecret = (m.vmLckAfter - m.vmLckBefore) / count;
  const isAllLocked = m.arena.unlockedRegions === 0 && m.lockFailures === 0 && m.vmLckAfter <= LIMIT;
  const isAllCached = m.cache.entries === count && m.providerGets === count && m.cache.hits === count;
  rows.push({
    metric: `locked bytes per cached secret (${fmtInt(TENANTS)} tenants x ${PER_TENANT} x ${VALUE_BYTES} B, VmLck / ${fmtInt(count)}), non-root, 8 MiB limit`,
    unit: 'B',
    median: perSecret,
    note: `VmLck ${kib(m.vmLckBefore)} -> ${kib(m.vmLckAfter)} of ${mib(LIMIT)}; arena ${m.arena.regions} regions, ${kib(m.arena.lockedBytes)} locked, ${fmtInt(m.arena.liveSlices)} live slices`,
    target: `all within ${mib(LIMIT)}`,
    pass: isAllLocked,
  });
  rows.push({
    metric: `secrets cached at once and locked (second pass all cache hits)`,
    median: isAllCached && isAllLocked ? `${fmtInt(count)} (all)` : `${fmtInt(m.cache.entries)} cached, ${m.arena.unlockedRegions} region(s) unlocked, ${m.lockFailures} lock failure(s)`,
    note: `2 passes of ${fmtInt(count)} audited reads in ${(m.ms / 1000).toFixed(1)} s: ${fmtInt(m.providerGets)} provider reads, ${fmtInt(m.cache.hits)} cache hits, ${fmtInt(m.auditEvents)} audit events`,
    target: 'all cached, all locked',
    pass: isAllCached && isAllLocked && m.auditEvents === 2 * count,
  });

  // 2. Latency and throughput on one core.
  const auditFile = path.join(ctx.tmpDir('svc-latency'), 'audit.jsonl');
  const pin = hasTool('taskset') ? ['taskset', '-c', String(os.cpus().length > 1 ? 1 : 0)] : [];
  ctx.log(`latency: audited use vs bare cache hit${pin.length ? `, pinned with ${pin.join(' ')}` : ' (taskset missing: not pinned)'}`);
  const l = runChild([...pin, process.execPath, SELF, 'latency-child', auditFile, ctx.quick ? 'quick' : 'full'], 'latency child');
  const isP99Met = l.auditedP99 < P99_TARGET_US;
  rows.push({
    metric: 'use = authorise + audit (JSONL file, write(2)) + cache hit, per call',
    unit: 'µs',
    median: l.auditedP50,
    p99: l.auditedP99,
    baseline: l.bareP50,
    baselineLabel: `bare await cache.use(key, loader, fn) hit, p99 ${l.bareP99.toFixed(2)} µs`,
    note: `${fmtInt(l.calls)} calls per variant in interleaved rounds; p99.9 ${l.auditedP999.toFixed(1)} µs`,
    target: `p99 < ${P99_TARGET_US} µs`,
    pass: isP99Met,
  });
  const rate = l.reads / l.seconds;
  const { verifyAuditLog } = require(path.join(DIST, 'audit'));
  ctx.log(`verifying the audit chain of ${fmtInt(l.totalEvents)} events`);
  const verdict = await verifyAuditLog(auditFile);
  rows.push({
    metric: 'sustained audited reads per second, one core',
    unit: '/s',
    median: rate,
    note: `${fmtInt(l.reads)} reads in ${l.seconds.toFixed(1)} s (CPU ${l.cpuSeconds.toFixed(1)} s), ${fmtInt(l.events)} audit events written; chain of ${fmtInt(l.totalEvents)} events ${verdict.ok ? 'verified' : `BROKEN (${verdict.problem})`}`,
    target: `>= ${fmtInt(RATE_TARGET)}/s`,
    pass: rate >= RATE_TARGET && l.events === l.reads && verdict.ok,
  });
  return rows;
}

module.exports = { name: 'service', run };

if (require.main === module) {
  const [mode, ...rest] = process.argv.slice(2);
  const child = mode === 'memlock-child' ? memlockChild() : mode === 'latency-child' ? latencyChild(rest[0], rest[1] === 'quick') : undefined;
  if (child === undefined) {
    process.stderr.write('run through the harness: node bench/run.js service\n');
    process.exitCode = 2;
  } else {
    child.catch((error) => {
      say({ error: String(error?.code ?? error?.name ?? 'error') });
      process.exitCode = 1;
    });
  }
}
