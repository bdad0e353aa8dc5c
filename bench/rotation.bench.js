'use strict';
// Rotation at scale (src/rotation, issue 5 "Benchmark"): one secret for each of N tenants
// (`bench/<run>/tenants/t<i>/API_KEY`, N = 1,000 by default) rotated with RotationScheduler.rotateDue() against
// each real peer (moto, OpenBao, the Azure peer), each in its own child process with a clean environment:
//   setup (not measured): write N secrets, store a daily rotation policy with each;
//   measured: rotateDue(targets) with the scheduler's defaults for the backend (write quota: AWS 50 writes/s,
//             Azure 200/s, Vault 500/s), "now" two days ahead so every secret is due;
//   cleanup (not measured): delete the secrets.
// Backend calls are HTTP requests counted on Node's `http.client.request.start` diagnostics channel (every SDK
// attempt, retries and Azure's authentication challenge included), by operation. Target per peer: under 60 s,
// no failure, and no call beyond what the steps need (the expected count is derived from the steps below).
//
//   node bench/run.js rotation                       # 1,000 tenants per peer (about 2-3 minutes in all)
//   BENCH_ROTATION_TENANTS=200 node bench/run.js rotation
//   node bench/run.js rotation --quick               # 100 tenants per peer
// This file is also the child: `node bench/rotation.bench.js --child aws|vault|azure`.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const dc = require('node:diagnostics_channel');
const path = require('node:path');
const { ROOT, DIST, cleanEnv, assertChild } = require('./lib/setup');

const SELF = path.join(__dirname, 'rotation.bench.js');
const TARGET_S = 60;
const PEERS = {
  aws: { endpoint: 'http://127.0.0.1:5000', region: 'us-east-1', host: '127.0.0.1:5000' },
  vault: { address: 'http://127.0.0.1:8200', token: 'vc-dev-root-token', host: '127.0.0.1:8200' },
  azure: { host: '127.0.0.1:8443', token: 'vc-local-emulator-token', caFile: path.join(ROOT, '.peers', 'azure', 'lowkey-ca.pem') },
};
// Calls one rotation needs, by step (what the count is checked against):
//   state (one read: it holds the policy, times and pending versions), stage, [confirm], verify (read back), promote.
const STEPS = {
  aws: 'DescribeSecret + PutSecretValue (AWSPENDING) + GetSecretValue (read back) + UpdateSecretVersionStage (AWSCURRENT) = 4',
  vault: 'GET metadata + PATCH metadata (first pin) + POST data (cas) + GET data?version (read back) + PATCH metadata (promote) = 5',
  azure: 'list versions + PUT version (pending) + list versions (settle check) + GET version (read back) + PATCH version (promote) = 5, + 1 auth challenge per client',
};
const PER_ROTATION = { aws: 4, vault: 5, azure: 5 };
const CHALLENGES = { aws: 0, vault: 0, azure: 1 };

async function run(ctx) {
  const tenants = Number(process.env.BENCH_ROTATION_TENANTS) || (ctx.quick ? 100 : 1_000);
  const rows = [];
  for (const peer of ['aws', 'vault', 'azure']) {
    ctx.log(`starting the ${peer} peer if needed`);
    const started = spawnSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', peer], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (started.status !== 0) throw new Error(`scripts/peers.sh start ${peer} failed (${started.status ?? started.signal}): install it with scripts/peers.sh install ${peer}`);
    ctx.log(`${peer}: ${tenants.toLocaleString('en-US')} tenants: setup, rotateDue, cleanup`);
    const env = cleanEnv({ BENCH_TENANTS: String(tenants), AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true', VAULT_TOKEN: PEERS.vault.token, AZURE_KEYVAULT_STATIC_TOKEN: PEERS.azure.token, NODE_NO_WARNINGS: '1' });
    const r = spawnSync(process.execPath, [SELF, '--child', peer], { cwd: ROOT, env, encoding: 'utf8', timeout: 900_000, maxBuffer: 16 * 1024 * 1024 });
    assertChild(r, `rotation ${peer} child`);
    const c = JSON.parse(r.stdout.trim().split('\n').pop());
    const expected = tenants * PER_ROTATION[peer] + CHALLENGES[peer];
    const ok = c.failures === 0 && c.rotated === tenants;
    rows.push({
      metric: `rotateDue: ${tenants.toLocaleString('en-US')} tenants x 1 secret (${peer}): wall time`,
      unit: 's',
      median: c.wallMs / 1_000,
      note: `${c.rotated} rotated, ${c.failures} failed${c.failureCodes ? ` (${c.failureCodes})` : ''}; concurrency ${c.concurrency}, ${c.writesPerSecond} writes/s (${c.writes} writes: the quota alone needs >= ${(c.writes / c.writesPerSecond).toFixed(1)} s); setup ${(c.setupMs / 1_000).toFixed(1)} s, cleanup ${(c.cleanupMs / 1_000).toFixed(1)} s, not measured`,
      target: `< ${TARGET_S} s, 0 failures`,
      pass: ok && c.wallMs < TARGET_S * 1_000,
    });
    rows.push({
      metric: `rotateDue: ${tenants.toLocaleString('en-US')} tenants (${peer}): backend calls`,
      unit: 'calls',
      median: c.calls,
      baseline: expected,
      baselineLabel: `calls the steps need: ${STEPS[peer]}`,
      note: `${(c.calls / tenants).toFixed(2)} per rotation; by operation: ${Object.entries(c.byOperation).map(([k, v]) => `${k} ${v}`).join(', ')}`,
      target: '= steps (no extra call)',
      pass: ok && c.calls <= expected,
    });
  }
  return rows;
}

// ---- child ----

/** Count HTTP requests to `host` from now on, by operation. */
function countRequests(peer) {
  const counts = { total: 0, byOperation: {}, on: false };
  dc.subscribe('http.client.request.start', ({ request }) => {
    if (!counts.on) return;
    const host = `${request.host}:${request.socket?.remotePort ?? ''}`;
    const headerHost = String(request.getHeader('host') ?? '');
    if (!headerHost.includes(PEERS[peer].host) && !host.includes(PEERS[peer].host)) return;
    const op = operationOf(peer, request);
    counts.total++;
    counts.byOperation[op] = (counts.byOperation[op] ?? 0) + 1;
  });
  return counts;
}

function operationOf(peer, request) {
  const p = request.path.split('?')[0];
  if (peer === 'aws') return String(request.getHeader('x-amz-target') ?? 'unknown').replace(/^secretsmanager\./, '');
  if (peer === 'vault') {
    const kind = /^\/v1\/secret\/(data|metadata|delete|destroy)\//.exec(p)?.[1] ?? p;
    return `${request.method} ${kind}${kind === 'data' && request.path.includes('version=') ? '?version' : ''}`;
  }
  // Azure: /secrets/<name>[/<version>|/versions]
  const parts = p.split('/').filter(Boolean);
  const what = parts[2] === 'versions' ? 'versions' : parts.length >= 3 ? 'version' : 'latest';
  return `${request.method} ${what}`;
}

async function makeClient(peer, prefix) {
  if (peer === 'aws') {
    const { awsProviderFactory } = require(path.join(DIST, 'providers', 'aws', 'awsProviderFactory.js'));
    const uri = new URL(`aws://${PEERS.aws.region}/${prefix}/?endpoint=${encodeURIComponent(PEERS.aws.endpoint)}&timeoutMs=5000&retries=4`);
    return awsProviderFactory.create(awsProviderFactory.parse(uri, process.env));
  }
  if (peer === 'vault') {
    const { vaultProviderFactory } = require(path.join(DIST, 'providers', 'vault', 'vaultProviderFactory.js'));
    const uri = new URL(`vault://127.0.0.1:8200/secret/${prefix}?tls=0&timeoutMs=5000&retries=4&concurrency=32`);
    return vaultProviderFactory.create(vaultProviderFactory.parse(uri, process.env), { env: process.env });
  }
  const { azureProviderFactory } = require(path.join(DIST, 'providers', 'azure', 'azureProviderFactory.js'));
  const uri = new URL(`azure://127.0.0.1:8443/${prefix}/?credential=static&timeoutMs=10000&retries=4&ca=${encodeURIComponent(PEERS.azure.caFile)}`);
  return azureProviderFactory.create(azureProviderFactory.parse(uri, process.env), { env: process.env });
}

async function forEachLimited(items, limit, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

async function child(peer) {
  const { RotationScheduler, SecretRotator } = require(path.join(DIST, 'rotation', 'index.js'));
  const tenants = Number(process.env.BENCH_TENANTS) || 1_000;
  const run = `r${Date.now().toString(36)}${crypto.randomBytes(2).toString('hex')}`;
  const counts = countRequests(peer);
  const client = await makeClient(peer, `bench/${run}`);
  const rotator = new SecretRotator({ client });
  const targets = Array.from({ length: tenants }, (_, i) => ({ id: `t${i}/API_KEY`, client, path: `tenants/t${i}/API_KEY` }));

  // Setup: N secrets with a daily policy (the values are random and never printed).
  let t0 = performance.now();
  await forEachLimited(targets, 16, async (t) => {
    await client.put(t.path, crypto.randomBytes(24));
    await rotator.setPolicy(t.path, { intervalMs: 86_400_000 });
  });
  const setupMs = performance.now() - t0;

  // Measured: rotateDue with "now" two days ahead, so every secret is due.
  const concurrency = peer === 'azure' ? 64 : 16;
  counts.on = true;
  t0 = performance.now();
  const report = await new RotationScheduler().rotateDue(
    targets,
    (t, ctx) => rotator.rotate(t.path, { state: ctx.state, writeLimiter: ctx.writeLimiter }),
    { concurrency, now: () => Date.now() + 2 * 86_400_000 },
  );
  const wallMs = performance.now() - t0;
  counts.on = false;

  // Cleanup (not measured).
  t0 = performance.now();
  await forEachLimited(targets, 32, (t) => client.delete(t.path, { permanent: true }).catch(() => undefined));
  const cleanupMs = performance.now() - t0;
  await client.close();
  const codes = [...new Set(report.failures.map((f) => `${f.code}${f.step ? `@${f.step}` : ''}`))].join(' ');
  process.stdout.write(
    JSON.stringify({
      wallMs,
      setupMs,
      cleanupMs,
      rotated: report.rotated.length,
      failures: report.failures.length,
      failureCodes: codes,
      calls: counts.total,
      byOperation: counts.byOperation,
      writes: report.writes,
      writesPerSecond: { aws: 50, azure: 200 }[peer] ?? 500,
      concurrency,
    }) + '\n',
  );
}

if (require.main === module && process.argv[2] === '--child') {
  child(process.argv[3]).catch((error) => {
    // Codes and names only: never an error message that could quote a request.
    process.stderr.write(`rotation bench child failed: ${error && error.code ? error.code : error && error.name}\n`);
    process.exit(1);
  });
}

module.exports = { name: 'rotation', run };
