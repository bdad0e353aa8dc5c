#!/usr/bin/env node
'use strict';
/* global fetch */
// The load test (`npm run load`, after `npm run build`; CI runs it): see docs/load.md.
//
//  1. A kubelet-style mount (AtomicWriter) with the service's own secrets: PAIR_A / PAIR_B (rotated together,
//     same generation marker) and AUDIT_HMAC_KEY.
//  2. examples/load-service/server.js under the preload (`node --expose-gc -r ./register.js`) on 127.0.0.1 (random
//     port): the multi-tenant SecretsService over 1,000 tenants with mixed roles, RBAC on, a fail-closed audit trail
//     to a JSONL file, and the OpenBao peer (`scripts/peers.sh start vault`; LOAD_PROVIDER=memory for the
//     in-memory provider). The tenants' first values are seeded by the server from a file (deleted once read).
//  3. autocannon (programmatic, loopback only, bounded duration) drives it with a mix of allowed and denied
//     requests, while the mount is rotated every ~2 s (AtomicWriter) and tenant secrets are rewritten through
//     the service (PUT -> service.set) every few seconds.
//  4. Checks: no transport error, every response the expected one (allowed 200, denied 403, counted apart), no
//     mixed snapshot, every rotation seen, the audit chain verified with exactly one event per handled request,
//     heap and VmLck flat after warm-up, and no planted value in the server's stdout, stderr, operational log,
//     audit file or /proc/<pid>/environ.
//  5. Prints a summary table, writes it into docs/load.md (LOAD_DOC=0: do not), exits non-zero on any failed check.
//
// Settings (environment): LOAD_DURATION_S (60), LOAD_TENANTS (1000), LOAD_CONNECTIONS (32), LOAD_PROVIDER
// (vault | memory, default vault), LOAD_DOC (1), LOAD_KEEP (keep the run's directory), LOAD_INJECT_LEAK (1: the server
// keeps an object per request, to show that the heap check fails; docs/load.md). Never prints a secret value.
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const autocannon = require('autocannon');

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const env = process.env;
const CONFIG = {
  durationS: Number(env.LOAD_DURATION_S ?? 60),
  tenants: Number(env.LOAD_TENANTS ?? 1000),
  connections: Number(env.LOAD_CONNECTIONS ?? 32),
  provider: env.LOAD_PROVIDER ?? 'vault',
  rotateMs: 2_000,
  rewriteMs: 3_000,
  rewritesPerRound: 10,
  sampleMs: 5_000,
  /** Samples taken before this (seconds after the server is ready) are warm-up. */
  warmupS: 15,
  cacheTtlMs: 5_000,
  writeDoc: env.LOAD_DOC !== '0',
};
/** The shared OpenBao peer of scripts/peers/vault.sh (dev mode, loopback only; test/helpers/peers.ts). */
const VAULT = { host: '127.0.0.1:8200', token: 'vc-dev-root-token' };
/**
 * Flatness tolerances (docs/load.md, "Why these tolerances"): heap used after a forced full GC may grow by at most
 * HEAP_TOLERANCE_BYTES between the first samples after warm-up and the last ones; VmLck must not grow at all
 * beyond one arena region class (the slab sizes double from one page).
 */
const HEAP_TOLERANCE_BYTES = 4 * 1024 * 1024;
const VMLCK_TOLERANCE_KB = 64;

const out = (line = '') => process.stdout.write(line + '\n');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const tenantId = (i) => `t${String(i).padStart(4, '0')}`;

// Every value this run hands to the server is planted: random, and searched for in everything the server wrote.
const planted = [];
const MARKER = 'PLANT';
function plant(prefix = '') {
  const value = `${MARKER}${prefix}${randomBytes(24).toString('hex')}`;
  planted.push(value);
  return value;
}
function pairPayload(generation, auditKey) {
  const marker = `g${String(generation).padStart(6, '0')}.`;
  return { PAIR_A: plant(marker), PAIR_B: plant(marker), AUDIT_HMAC_KEY: auditKey };
}

/** The request mix: weights in percent, the expected status, and how to build the request for a tenant. */
const MIX = [
  { kind: 'sign (billing)', weight: 44, expect: 200, method: 'POST', route: (t) => `/tenants/${t}/sign`, token: () => 'billing' },
  { kind: 'call (tenant admin)', weight: 20, expect: 200, method: 'POST', route: (t) => `/tenants/${t}/call`, token: (t) => `admin:${t}` },
  { kind: 'sign (tenant admin)', weight: 8, expect: 200, method: 'POST', route: (t) => `/tenants/${t}/sign`, token: (t) => `admin:${t}` },
  { kind: 'list (tenant admin)', weight: 2, expect: 200, method: 'GET', route: (t) => `/tenants/${t}/secrets`, token: (t) => `admin:${t}` },
  { kind: 'list (support)', weight: 1, expect: 200, method: 'GET', route: (t) => `/tenants/${t}/secrets`, token: (t) => `support:${t}` },
  { kind: 'list (platform, cross-tenant)', weight: 1, expect: 200, method: 'GET', route: (t) => `/tenants/${t}/secrets`, token: () => 'ops' },
  { kind: 'denied: other tenant', weight: 12, expect: 403, method: 'POST', route: (t) => `/tenants/${t}/sign`, token: (t, other) => `admin:${other}` },
  { kind: 'denied: name not granted', weight: 6, expect: 403, method: 'POST', route: (t) => `/tenants/${t}/call`, token: () => 'billing' },
  { kind: 'denied: role (support reads)', weight: 6, expect: 403, method: 'POST', route: (t) => `/tenants/${t}/sign`, token: (t) => `support:${t}` },
];
const CUMULATIVE = (() => {
  let sum = 0;
  return MIX.map((m) => (sum += m.weight));
})();
function pickKind() {
  const r = Math.random() * CUMULATIVE.at(-1);
  return MIX[CUMULATIVE.findIndex((c) => r < c)];
}

/** Start the server and collect its JSON lines. */
function startServer(serverEnv, logDir) {
  const child = spawn(process.execPath, ['--expose-gc', '-r', path.join(ROOT, 'register.js'), path.join(ROOT, 'examples', 'load-service', 'server.js')], {
    cwd: ROOT,
    env: serverEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdoutFile = path.join(logDir, 'server.stdout');
  const stderrFile = path.join(logDir, 'server.stderr');
  const stdoutStream = fs.createWriteStream(stdoutFile);
  const stderrStream = fs.createWriteStream(stderrFile);
  child.stdout.pipe(stdoutStream);
  child.stderr.pipe(stderrStream);
  const events = [];
  const waiters = [];
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let e;
    try {
      e = JSON.parse(line);
    } catch {
      return;
    }
    events.push(e);
    for (const w of [...waiters]) if (w.pred(e)) w.resolve(e);
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const flushed = Promise.all([new Promise((r) => stdoutStream.on('close', r)), new Promise((r) => stderrStream.on('close', r))]);
  const waitFor = (pred, ms) =>
    new Promise((resolve, reject) => {
      const found = events.find(pred);
      if (found) return resolve(found);
      const w = { pred, resolve: (e) => (clearTimeout(timer), waiters.splice(waiters.indexOf(w), 1), resolve(e)) };
      const timer = setTimeout(() => reject(new Error(`the server did not report in ${ms} ms; events: ${JSON.stringify(events).slice(0, 400)}`)), ms);
      waiters.push(w);
      exited.then(({ code, signal }) => reject(new Error(`the server exited (${code ?? signal}) before reporting; see ${stderrFile}`)));
    });
  return { child, events, waitFor, exited, flushed, stdoutFile, stderrFile };
}

/** Count the audit events by outcome and cache state (streamed: the file holds hundreds of thousands of lines). */
async function auditCounts(file) {
  const counts = { total: 0, allowed: 0, denied: 0, failed: 0, crossTenant: 0, cache: {}, actions: {}, reasons: {} };
  const rl = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  for await (const line of rl) {
    if (line === '') continue;
    const e = JSON.parse(line);
    counts.total++;
    counts[e.outcome] = (counts[e.outcome] ?? 0) + 1;
    if (e.crossTenant) counts.crossTenant++;
    counts.cache[e.cache] = (counts.cache[e.cache] ?? 0) + 1;
    counts.actions[e.action] = (counts.actions[e.action] ?? 0) + 1;
    if (e.reason) counts.reasons[e.reason] = (counts.reasons[e.reason] ?? 0) + 1;
  }
  return counts;
}

/**
 * Leak scan of one file. Every planted value starts with MARKER, so a file without MARKER holds none of them;
 * where MARKER occurs, the planted value there is identified. Values without the marker (the audit key) are
 * searched for in full. A positive control proves the scan finds a value that is there.
 */
function scanFile(file, extra) {
  const data = fs.readFileSync(file);
  const found = new Set();
  const marker = Buffer.from(MARKER);
  for (let i = data.indexOf(marker); i !== -1; i = data.indexOf(marker, i + 1)) {
    const at = data.subarray(i, i + 80).toString('latin1');
    const hit = planted.find((v) => at.startsWith(v));
    found.add(hit === undefined ? 'an unknown PLANT string' : `a planted value (${hit.length} characters)`);
  }
  for (const v of extra) if (data.includes(Buffer.from(v))) found.add('the audit HMAC key');
  return { bytes: data.length, findings: [...found] };
}

function fmtInt(n) {
  return Math.round(n).toLocaleString('en-US');
}
function fmtMiB(bytes) {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

async function cleanupVault(prefix) {
  // Best effort: remove this run's secrets from the shared peer (a dev server keeps everything in memory).
  const { ProviderRegistry } = require(path.join(DIST, 'providers'));
  const client = await ProviderRegistry.withBuiltins().create(new URL(`vault://${VAULT.host}/secret/${prefix}?tls=0`), { env: { VAULT_TOKEN: VAULT.token } });
  try {
    const names = await client.list('');
    let next = 0;
    await Promise.all(
      Array.from({ length: 16 }, async () => {
        while (next < names.length) await client.delete(names[next++], { permanent: true });
      }),
    );
    return names.length;
  } finally {
    await client.close();
  }
}

async function main() {
  for (const f of ['index.js', 'service/index.js', 'audit/index.js', 'access/index.js', 'cache/index.js', 'providers/index.js', 'testing/index.js', 'runtime/runtimeSlot.js']) {
    if (!fs.existsSync(path.join(DIST, f))) throw new Error(`dist/${f} is missing: run npm run build first`);
  }
  const { AtomicWriter } = require(path.join(DIST, 'testing'));
  const { verifyAuditLog } = require(path.join(DIST, 'audit'));
  const runStartedAt = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-load-'));
  const checks = [];
  const check = (name, ok, detail) => {
    checks.push({ name, ok: Boolean(ok), detail });
    out(`${ok ? 'ok  ' : 'FAIL'} ${name}${detail ? ` — ${detail}` : ''}`);
  };

  // 1. The provider.
  let providerUri;
  const runPrefix = `load-${Date.now().toString(36)}${randomBytes(2).toString('hex')}`;
  const tokenFile = path.join(dir, 'vault-token');
  if (CONFIG.provider === 'vault') {
    out('starting the OpenBao peer (scripts/peers.sh start vault)…');
    execFileSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', 'vault'], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], timeout: 300_000 });
    fs.writeFileSync(tokenFile, VAULT.token, { mode: 0o600 });
    providerUri = `vault://${VAULT.host}/secret/${runPrefix}?tls=0&concurrency=32&timeoutMs=5000`;
  } else if (CONFIG.provider !== 'memory') {
    throw new Error(`LOAD_PROVIDER must be vault or memory, not ${CONFIG.provider}`);
  }

  // 2. The mount, the seed, the server.
  const mount = path.join(dir, 'mount');
  const writer = new AtomicWriter(mount);
  const auditKey = randomBytes(32).toString('hex');
  let generation = 1;
  writer.write(pairPayload(generation, auditKey));
  const tenants = Array.from({ length: CONFIG.tenants }, (_, i) => tenantId(i));
  const seedFile = path.join(dir, 'seed.json');
  const seed = {};
  for (const t of tenants) seed[t] = { STRIPE_WEBHOOK_KEY: plant(), API_TOKEN: plant() };
  fs.writeFileSync(seedFile, JSON.stringify(seed), { mode: 0o600 });
  const auditFile = path.join(dir, 'audit.jsonl');
  const opsLog = path.join(dir, 'ops.log');
  const nonce = randomBytes(16).toString('hex');
  const serverEnv = {
    PATH: env.PATH ?? '',
    HOME: env.HOME ?? '/tmp',
    NODE_ENV: 'production',
    SECRETS_SOURCE: `file://${mount}`,
    SECRETS_SCHEMA: path.join(ROOT, 'examples', 'load-service', 'schema.js'),
    SECRETS_LOG_DESTINATION: opsLog,
    SECRETS_LOG_LEVEL: 'info',
    LOAD_TENANTS: String(CONFIG.tenants),
    LOAD_AUDIT_FILE: auditFile,
    LOAD_SEED_FILE: seedFile,
    LOAD_SAMPLE_MS: String(CONFIG.sampleMs),
    LOAD_CACHE_TTL_MS: String(CONFIG.cacheTtlMs),
    LOAD_ADMIN_NONCE: nonce,
    ...(providerUri ? { LOAD_PROVIDER_URI: providerUri, VAULT_TOKEN_FILE: tokenFile } : {}),
    ...(env.LOAD_INJECT_LEAK === '1' ? { LOAD_INJECT_LEAK: '1' } : {}),
  };
  const server = startServer(serverEnv, dir);
  let isServerStopped = false;
  const killServer = () => {
    if (!isServerStopped && server.child.exitCode === null) server.child.kill('SIGKILL');
  };
  process.on('exit', killServer);
  const ready = await server.waitFor((e) => e.event === 'ready' || e.event === 'fatal', 120_000);
  if (ready.event === 'fatal') throw new Error(`the server failed to start: ${ready.code} ${ready.message ?? ''}`);
  fs.rmSync(seedFile, { force: true });
  const base = `http://127.0.0.1:${ready.port}`;
  out(`server ready on ${base} in ${ready.startupMs} ms: ${ready.tenants} tenants, provider ${ready.provider}, ${ready.seeded} tenant secrets seeded`);
  const environ = fs.readFileSync(`/proc/${server.child.pid}/environ`);

  // 3. Rotation of the mount and tenant rewrites, while autocannon drives the server.
  let rotations = 0;
  const rotator = setInterval(() => {
    generation++;
    writer.write(pairPayload(generation, auditKey));
    rotations++;
  }, CONFIG.rotateMs);
  const rewrites = { sent: 0, ok: 0, failed: [] };
  let rewriting = Promise.resolve();
  const rewriter = setInterval(() => {
    rewriting = rewriting.then(async () => {
      await Promise.all(
        Array.from({ length: CONFIG.rewritesPerRound }, async () => {
          const t = tenants[Math.floor(Math.random() * tenants.length)];
          const name = Math.random() < 0.5 ? 'STRIPE_WEBHOOK_KEY' : 'API_TOKEN';
          rewrites.sent++;
          try {
            const res = await fetch(`${base}/tenants/${t}/secrets/${name}`, { method: 'PUT', headers: { authorization: `Bearer admin:${t}`, 'x-request-id': `rewrite-${rewrites.sent}` }, body: plant() });
            await res.arrayBuffer();
            if (res.status === 200) rewrites.ok++;
            else rewrites.failed.push(res.status);
          } catch (error) {
            rewrites.failed.push(error.code ?? error.name);
          }
        }),
      );
    });
  }, CONFIG.rewriteMs);

  const byKind = Object.fromEntries(MIX.map((m) => [m.kind, {}]));
  const unexpected = []; // the first few, for the report
  let unexpectedCount = 0;
  let sequence = 0;
  out(`driving it for ${CONFIG.durationS} s with ${CONFIG.connections} connections…`);
  const result = await autocannon({
    url: base,
    connections: CONFIG.connections,
    duration: CONFIG.durationS,
    timeout: 10,
    requests: [
      {
        setupRequest: (req, context) => {
          const m = pickKind();
          const t = tenants[Math.floor(Math.random() * tenants.length)];
          let other = tenants[Math.floor(Math.random() * tenants.length)];
          if (other === t) other = tenants[(tenants.indexOf(t) + 1) % tenants.length];
          context.kind = m.kind;
          context.expect = m.expect;
          const id = `req-${++sequence}`;
          return {
            ...req,
            method: m.method,
            path: m.route(t),
            headers: { authorization: `Bearer ${m.token(t, other)}`, 'x-request-id': id, 'content-type': 'text/plain' },
            body: m.method === 'POST' ? `order-${id}` : undefined,
          };
        },
        onResponse: (status, body, context) => {
          const counts = byKind[context.kind];
          counts[status] = (counts[status] ?? 0) + 1;
          if (status !== context.expect) {
            unexpectedCount++;
            if (unexpected.length < 20) unexpected.push({ kind: context.kind, status, body: String(body).slice(0, 200) });
          }
        },
      },
    ],
  });
  clearInterval(rotator);
  clearInterval(rewriter);
  await rewriting;
  await sleep(1_500); // the last rotation reaches the server (debounce 50 ms) before it stops

  // 4. Stop the server: it closes the trail and prints its summary.
  const stopped = await fetch(`${base}/admin/stop`, { method: 'POST', headers: { 'x-load-admin': nonce } });
  await stopped.arrayBuffer();
  const summary = await server.waitFor((e) => e.event === 'summary', 30_000);
  const exit = await server.exited;
  isServerStopped = true;
  await server.flushed;
  check('the server stopped cleanly', exit.code === 0, `exit ${exit.code ?? exit.signal}`);

  // 5. Checks.
  const observed = Object.values(byKind).reduce((n, c) => n + Object.values(c).reduce((a, b) => a + b, 0), 0);
  const allowedOk = MIX.filter((m) => m.expect === 200).reduce((n, m) => n + (byKind[m.kind][200] ?? 0), 0);
  const deniedOk = MIX.filter((m) => m.expect === 403).reduce((n, m) => n + (byKind[m.kind][403] ?? 0), 0);
  check('no transport error or timeout', result.errors === 0 && result.timeouts === 0, `errors ${result.errors}, timeouts ${result.timeouts}`);
  check('every response was the expected one (allowed 200, denied 403)', unexpectedCount === 0, `${unexpectedCount} unexpected${unexpected.length ? `: ${JSON.stringify(unexpected.slice(0, 3))}` : ''}`);
  check('the tenant rewrites (service.set) all succeeded', rewrites.ok === rewrites.sent && rewrites.sent > 0, `${rewrites.ok} of ${rewrites.sent}${rewrites.failed.length ? `, failures: ${JSON.stringify(rewrites.failed.slice(0, 5))}` : ''}`);
  check('no request outside the service (unknown route, unauthenticated, mixed)', summary.otherRequests === 0, `${summary.otherRequests}`);
  check('no mixed snapshot (PAIR_A / PAIR_B generation markers always equal)', summary.mixedSnapshots === 0, `${summary.mixedSnapshots} mixed`);
  check('no request saw an older generation after a newer one', summary.generationRegressions === 0, `${summary.generationRegressions}`);
  check(
    'every rotation of the mount was applied, and seen by requests',
    summary.rotatedEvents === rotations && summary.rotatedGeneration === generation && summary.maxGeneration >= generation - 1 && summary.generationsSeen >= generation - 1,
    `${rotations} written, ${summary.rotatedEvents} rotated events (last generation ${summary.rotatedGeneration} of ${generation}); requests saw ${summary.generationsSeen} generations, the last ${summary.maxGeneration}`,
  );
  check('no rotation was rejected', summary.rejectedEvents === 0, `${summary.rejectedEvents}`);
  const serverErrors = server.events.filter((e) => e.event === 'error');
  check('no 5xx and no server error', serverErrors.length === 0 && Object.keys(summary.byStatus).every((s) => Number(s) < 500), `${serverErrors.length} errors`);

  const verdict = await verifyAuditLog(auditFile);
  const counts = await auditCounts(auditFile);
  const handledOk = (summary.byStatus[200] ?? 0) + (summary.byStatus[403] ?? 0);
  check('the audit chain verifies', verdict.ok, verdict.ok ? `${fmtInt(verdict.count)} events` : `line ${verdict.line}: ${verdict.problem} (${verdict.detail})`);
  check('audit events == handled requests (one event per service call)', verdict.ok && verdict.count === summary.handled && counts.total === summary.handled, `${fmtInt(counts.total)} events, ${fmtInt(summary.handled)} handled`);
  check(
    'allowed / denied events == 200 / 403 responses; no failed event',
    counts.allowed === (summary.byStatus[200] ?? 0) && counts.denied === (summary.byStatus[403] ?? 0) && counts.failed === 0 && handledOk === summary.handled,
    `allowed ${fmtInt(counts.allowed)}, denied ${fmtInt(counts.denied)}, failed ${counts.failed}`,
  );
  const crossTenantOk = byKind['list (platform, cross-tenant)'][200] ?? 0;
  check('cross-tenant events == platform-role requests, and no other', counts.crossTenant >= crossTenantOk && counts.crossTenant <= crossTenantOk + CONFIG.connections, `${fmtInt(counts.crossTenant)} events, ${fmtInt(crossTenantOk)} responses`);
  const clientSeen = observed + rewrites.sent;
  check(
    'the client saw every handled request but those in flight at the end',
    clientSeen <= summary.handled && summary.handled <= clientSeen + CONFIG.connections,
    `client ${fmtInt(clientSeen)}, server ${fmtInt(summary.handled)}`,
  );

  // Heap and locked memory after warm-up: from CONFIG.warmupS on, and once the cache holds (nearly) every
  // tenant secret, so that the live set of locked slices has reached its size.
  const warmAt = summary.samples.find((s) => s.t >= CONFIG.warmupS && s.cacheEntries >= 0.98 * summary.seeded)?.t ?? Infinity;
  const samples = summary.samples.filter((s) => s.t >= warmAt && !s.final); // under load only
  let heapGrowth = NaN;
  let heapPerRequest = NaN;
  let vmLckGrowth = NaN;
  if (samples.length >= 4) {
    // Heap: the mean of the last two samples against the mean of the first two after warm-up (one sample alone
    // moves by a few hundred kB with what happens to be allocated at that instant). VmLck: the largest value
    // after warm-up against the first one.
    const first = samples.slice(0, 2);
    const last = samples.slice(-2);
    const mean = (xs, f) => xs.reduce((a, x) => a + f(x), 0) / xs.length;
    heapGrowth = mean(last, (s) => s.heapUsed) - mean(first, (s) => s.heapUsed);
    heapPerRequest = heapGrowth / Math.max(1, mean(last, (s) => s.handled) - mean(first, (s) => s.handled));
    vmLckGrowth = Math.max(...samples.map((s) => s.vmLckKb)) - samples[0].vmLckKb;
  }
  check(
    'heap used flat after warm-up',
    heapGrowth <= HEAP_TOLERANCE_BYTES,
    `warm-up until ${warmAt} s; ${Number.isNaN(heapGrowth) ? 'too few samples' : `${(heapGrowth / 1024 / 1024).toFixed(2)} MiB, ${heapPerRequest.toFixed(2)} B per request`} (tolerance ${fmtMiB(HEAP_TOLERANCE_BYTES)})`,
  );
  const lastSampleTaken = summary.samples.at(-1);
  check(
    // The preload holds its 3 current values plus, for SECRETS_GRACE_MS (5 min, longer than the run), the value each
    // hot-swap replaced for PAIR_A and PAIR_B (one per name, the older ones zeroed and freed): 5 at the end.
    'locked slices: one per cache entry at every sample; the preload holds its 3 secrets + 2 replaced values in grace at the end',
    summary.samples.every((s) => s.cacheSlices === s.cacheEntries) && lastSampleTaken?.preloadSlices === 5,
    `cache slices == entries at ${summary.samples.filter((s) => s.cacheSlices === s.cacheEntries).length} of ${summary.samples.length} samples; preload slices at the end ${lastSampleTaken?.preloadSlices}`,
  );
  check('VmLck flat after warm-up', vmLckGrowth <= VMLCK_TOLERANCE_KB && samples.every((s) => s.vmLckKb > 0), `${Number.isNaN(vmLckGrowth) ? 'too few samples' : `${vmLckGrowth} kB`} (tolerance ${VMLCK_TOLERANCE_KB} kB)`);

  // Leak scan.
  fs.writeFileSync(path.join(dir, 'environ'), environ);
  const scanned = {};
  for (const [label, file] of [
    ['stdout', server.stdoutFile],
    ['stderr', server.stderrFile],
    ['operational log', opsLog],
    ['audit file', auditFile],
    ['/proc/<pid>/environ', path.join(dir, 'environ')],
  ]) {
    scanned[label] = fs.existsSync(file) ? scanFile(file, [auditKey]) : { bytes: 0, findings: [] };
  }
  const control = path.join(dir, 'control');
  fs.writeFileSync(control, `x${planted[planted.length - 1]}x ${auditKey}`);
  const controlScan = scanFile(control, [auditKey]);
  check('leak scan control: a planted value and the audit key are found when present', controlScan.findings.length === 2, controlScan.findings.join(', '));
  const findings = Object.entries(scanned).flatMap(([label, s]) => s.findings.map((f) => `${f} in ${label}`));
  check(
    'no planted value in stdout, stderr, the operational log, the audit file or the environment',
    findings.length === 0,
    `${fmtInt(planted.length)} values; ${findings.length ? findings.join('; ') : Object.entries(scanned).map(([l, s]) => `${l} ${fmtInt(s.bytes)} B`).join(', ')}`,
  );

  let cleaned = 0;
  if (CONFIG.provider === 'vault') cleaned = await cleanupVault(runPrefix).catch((error) => (out(`cleanup of ${runPrefix} failed: ${error.code ?? error.message}`), -1));

  // 6. The report.
  const lat = result.latency;
  const warm = samples[0] ?? {};
  const lastSample = samples.at(-1) ?? {};
  const rows = [
    ['Duration, connections', `${CONFIG.durationS} s, ${CONFIG.connections} (autocannon ${require('autocannon/package.json').version}, loopback)`],
    ['Provider', CONFIG.provider === 'vault' ? `OpenBao peer (scripts/peers.sh, ${VAULT.host}), cache TTL ${CONFIG.cacheTtlMs / 1000} s` : `InMemoryProvider, cache TTL ${CONFIG.cacheTtlMs / 1000} s`],
    ['Tenants, tenant secrets', `${fmtInt(CONFIG.tenants)}, ${fmtInt(summary.seeded)} seeded`],
    ['Requests (autocannon)', `${fmtInt(result.requests.total)} (${fmtInt(result.requests.average)}/s average)`],
    ['Allowed (200)', fmtInt(allowedOk)],
    ['Denied as expected (403)', `${fmtInt(deniedOk)} (${((100 * deniedOk) / Math.max(1, observed)).toFixed(1)} %)`],
    ['Tenant rewrites (PUT -> service.set)', `${fmtInt(rewrites.ok)} of ${fmtInt(rewrites.sent)}`],
    ['Errors (transport, timeouts, unexpected status, 5xx)', `${result.errors}, ${result.timeouts}, ${unexpectedCount}, ${Object.entries(summary.byStatus).filter(([s]) => Number(s) >= 500).reduce((n, [, c]) => n + c, 0)}`],
    ['Latency p50 / p99 / max', `${lat.p50} ms / ${lat.p99} ms / ${lat.max} ms`],
    ['Mount rotations (AtomicWriter, every 2 s)', `${rotations} written, ${summary.rotatedEvents} applied, ${summary.generationsSeen} generations seen by requests`],
    ['Mixed snapshots', String(summary.mixedSnapshots)],
    ['Audit', `${verdict.ok ? 'chain verified' : 'CHAIN BROKEN'}, ${fmtInt(counts.total)} events == ${fmtInt(summary.handled)} handled requests (${fmtInt(counts.allowed)} allowed, ${fmtInt(counts.denied)} denied, ${counts.failed} failed, ${fmtInt(counts.crossTenant)} cross-tenant; cache ${Object.entries(counts.cache).map(([k, v]) => `${k} ${fmtInt(v)}`).join(', ')})`],
    ['Cache', `${fmtInt(summary.cache.entries)} entries, ${fmtInt(summary.cache.loads)} loads, ${fmtInt(summary.cache.coalesced)} coalesced, ${summary.cache.stale} stale`],
    [
      'Heap used after GC, under load: first after warm-up -> last',
      `${fmtMiB(warm.heapUsed ?? 0)} (${warm.t} s) -> ${fmtMiB(lastSample.heapUsed ?? 0)} (${lastSample.t} s); growth ${(heapGrowth / 1024 / 1024).toFixed(2)} MiB = ${heapPerRequest.toFixed(2)} B per request (tolerance ${fmtMiB(HEAP_TOLERANCE_BYTES)})`,
    ],
    ['VmLck, under load: first after warm-up -> last', `${warm.vmLckKb} kB -> ${lastSample.vmLckKb} kB; largest growth ${vmLckGrowth} kB (tolerance ${VMLCK_TOLERANCE_KB} kB)`],
    ['Forced full GC per sample (pause)', `${Math.min(...summary.samples.map((s) => s.gcMs))}-${Math.max(...summary.samples.map((s) => s.gcMs))} ms`],
    ['Locked slices (cache, preload)', `${fmtInt(lastSample.cacheSlices ?? 0)} == cache entries at every sample; preload ${lastSampleTaken?.preloadSlices} at the end (3 secrets + 2 in grace)`],
    ['Leak scan', `${findings.length} findings (${fmtInt(planted.length)} planted values; stdout, stderr, ops log, audit file ${fmtMiB(scanned['audit file'].bytes)}, environ)`],
    ['Checks', `${checks.filter((c) => c.ok).length} of ${checks.length} passed`],
  ];
  const sampleRows = summary.samples.map(
    (s) =>
      `| ${s.t.toFixed(1)}${s.final ? ' (load over)' : s.t >= warmAt ? '' : ' (warm-up)'} | ${fmtInt(s.handled)} | ${(s.heapUsed / 1024 / 1024).toFixed(2)} | ${(s.rss / 1024 / 1024).toFixed(1)} | ${s.vmLckKb} | ${fmtInt(s.cacheEntries)} | ${fmtInt(s.cacheSlices)} | ${s.preloadSlices} |`,
  );
  const table = ['| Figure | Result |', '|---|---|', ...rows.map(([k, v]) => `| ${k} | ${v} |`)].join('\n');
  const samplesTable = ['| t (s) | handled | heap used after GC (MiB) | RSS (MiB) | VmLck (kB) | cache entries | cache locked slices | preload locked slices |', '|---:|---:|---:|---:|---:|---:|---:|---:|', ...sampleRows].join('\n');
  const kindsTable = [
    '| Request kind | share | expected | responses |',
    '|---|---:|---:|---|',
    ...MIX.map((m) => `| ${m.kind} | ${m.weight} % | ${m.expect} | ${Object.entries(byKind[m.kind]).map(([s, n]) => `${s}: ${fmtInt(n)}`).join(', ')} |`),
  ].join('\n');
  out('');
  out(table);
  out('');
  out(kindsTable);
  out('');
  out(samplesTable);
  const failed = checks.filter((c) => !c.ok);
  const when = new Date(runStartedAt).toISOString().replace(/\.\d+Z$/, 'Z');
  if (CONFIG.writeDoc) {
    const doc = path.join(ROOT, 'docs', 'load.md');
    const block = [
      '<!-- load:results:start (written by scripts/load/run.js) -->',
      `Run of ${when} on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? 'unknown'}), node ${process.version}, ${failed.length === 0 ? 'all checks passed' : `${failed.length} CHECKS FAILED`}:`,
      '',
      table,
      '',
      kindsTable,
      '',
      'Samples taken by the server every 5 s (heap after a forced full GC):',
      '',
      samplesTable,
      '',
      'Checks:',
      '',
      ...checks.map((c) => `- ${c.ok ? 'ok' : '**FAILED**'}: ${c.name}${c.detail ? ` (${c.detail})` : ''}`),
      '<!-- load:results:end -->',
    ].join('\n');
    const text = fs.existsSync(doc) ? fs.readFileSync(doc, 'utf8') : '';
    const re = /<!-- load:results:start[\s\S]*?<!-- load:results:end -->/;
    fs.writeFileSync(doc, re.test(text) ? text.replace(re, block) : `${text}\n${block}\n`);
    out(`\nwrote the figures into docs/load.md`);
  }
  out(`\n${failed.length === 0 ? 'load test passed' : `load test FAILED: ${failed.map((c) => c.name).join('; ')}`} in ${((Date.now() - runStartedAt) / 1000).toFixed(1)} s${cleaned > 0 ? ` (${cleaned} secrets removed from the peer)` : ''}`);
  if (failed.length === 0 && !env.LOAD_KEEP) fs.rmSync(dir, { recursive: true, force: true });
  else out(`kept ${dir}`);
  return failed.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    process.stderr.write(`load test failed: ${error.stack ?? error}\n`);
    process.exit(1);
  },
);
