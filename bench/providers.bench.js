'use strict';
// Provider sources (issue 3, "Benchmark"), against the real local peers of scripts/peers.sh (moto for AWS,
// OpenBao for Vault, Lowkey Vault or its stand-in for Azure):
//  1. Cold start with 100 secrets from each peer: `node -r ./register.js app.js` with SECRETS_SOURCE=<provider
//     URI> and a schema of the 100 names; the app prints performance.now() on its first line. Interleaved rounds
//     (random order per round) together with the same preload on a file:// source (AtomicWriter mount on tmpfs)
//     holding the same 100 values, so the Δ is the start-up cost of one provider scheme: loading its SDK, the
//     worker thread and the fetch. Target: < 1 s.
//  2. Backend calls of the load: the preload's worker is hard to instrument in a timed run, so the same
//     provider client's getMany(100 names) runs in a child process on fresh clients, counting SDK commands on
//     the middleware stack (AWS) and HTTP requests (every provider, through diagnostics_channel). Target: AWS at
//     most 5 calls (BatchGetSecretValue, 20 ids each). The getMany wall time is reported too (target < 1 s).
//     Cross-check: untimed instrumented preload runs (bench/lib/httpProbe.js, loaded in the worker as well)
//     count the HTTP requests the preload's worker really makes, and time its phases.
// Secrets are 100 random 64-character values under a unique prefix per run, deleted at the end. Children print
// names, timings and counters only; values go to children on stdin and are compared there, never printed.
// This file is also the child: `node bench/providers.bench.js --child seed|measure|clean <peer> <prefix>`.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { median, max, shuffle } = require('./lib/stats');
const { ROOT, DIST, secretNames, randomPayload, writeSchema, writeMount, cleanEnv, assertChild } = require('./lib/setup');

const SELF = path.join(__dirname, 'providers.bench.js');
const PROBE = path.join(__dirname, 'lib', 'httpProbe.js');
const PROBE_MARK = path.join(__dirname, 'lib', 'httpProbeMark.js');
const FIRST_LINE_APP = path.join(__dirname, 'fixtures', 'firstLine.js');
const SECRETS = 100;
const VALUE_BYTES = 64;
const TARGET_MS = 1000;
const AWS_MAX_CALLS = 5;
// BENCH_PROVIDERS_PEERS=aws (comma-separated) runs some peers only.
const PEER_NAMES = (process.env.BENCH_PROVIDERS_PEERS || 'aws,vault,azure').split(',').filter((p) => ['aws', 'vault', 'azure'].includes(p));
const AWS_HANDWRITTEN_RATIO = 1.1;

// The peers' fixed loopback endpoints and the credentials the preload finds in its environment
// (the same as test/helpers/peers.ts and test/integration/providers.test.ts).
const PEERS = {
  aws: {
    label: 'moto',
    sdk: '@aws-sdk/client-secrets-manager',
    env: { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' },
    nodeEnv: 'production',
    uri: (prefix) => `aws://us-east-1/${prefix}/?endpoint=${encodeURIComponent('http://127.0.0.1:5000')}&timeoutMs=3000&retries=1`,
  },
  vault: {
    label: 'OpenBao dev server',
    sdk: 'node-vault',
    env: { VAULT_TOKEN: 'vc-dev-root-token' },
    nodeEnv: 'production',
    uri: (prefix) => `vault://127.0.0.1:8200/secret/${prefix}?tls=0&retries=1`,
  },
  azure: {
    label: 'Key Vault',
    sdk: '@azure/keyvault-secrets',
    env: { AZURE_KEYVAULT_STATIC_TOKEN: 'vc-local-emulator-token' },
    // credential=static (the emulator's any-token credential) is refused under NODE_ENV=production by design.
    nodeEnv: 'development',
    uri: (prefix) => `azure://127.0.0.1:8443/${prefix}/?credential=static&retries=1&ca=${encodeURIComponent(path.join(ROOT, '.peers', 'azure', 'lowkey-ca.pem'))}`,
  },
};

async function run(ctx) {
  const rounds = Number(process.env.BENCH_PROVIDERS_RUNS) || (ctx.quick ? 3 : 7);
  const measureRounds = ctx.quick ? 3 : 5;
  const probeRounds = ctx.quick ? 1 : 3;

  // 1. Peers up (idempotent; installs on first use).
  for (const peer of PEER_NAMES) {
    ctx.log(`starting the ${peer} peer if needed`);
    const r = spawnSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', peer], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
    if (r.status !== 0) throw new Error(`scripts/peers.sh start ${peer} failed (${r.status ?? r.signal}): install it with scripts/peers.sh install ${peer}`);
  }
  const azureImpl = readAzureImpl();

  // 2. The same 100 secrets everywhere: a file:// mount and each peer, under a unique prefix.
  const dir = ctx.tmpDir('providers');
  const names = secretNames(SECRETS);
  const payload = randomPayload(names, VALUE_BYTES);
  const payloadJson = JSON.stringify(payload);
  const digest = payloadDigest(payload);
  const schema = writeSchema(dir, names);
  const mount = path.join(ctx.mountDir('providers'), 'mount');
  writeMount(mount, payload);
  const prefix = `bench${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}-providers`;

  const variants = [
    { key: 'file', label: 'file:// mount', env: cleanEnv({ SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, NODE_ENV: 'production' }) },
    ...PEER_NAMES.map((peer) => ({
      key: peer,
      label: PEERS[peer].label,
      env: cleanEnv({ ...PEERS[peer].env, SECRETS_SOURCE: PEERS[peer].uri(prefix), SECRETS_SCHEMA: schema, NODE_ENV: PEERS[peer].nodeEnv }),
    })),
  ];

  const seeded = [];
  try {
    for (const peer of PEER_NAMES) {
      ctx.log(`${peer}: writing ${SECRETS} secrets of ${VALUE_BYTES} bytes under ${prefix}/`);
      seeded.push(peer);
      const s = child(['seed', peer, prefix], payloadJson, `${peer} seed`);
      if (s.written !== SECRETS) throw new Error(`${peer}: wrote ${s.written} secrets, expected ${SECRETS}`);
    }

    // 3. Untimed instrumented runs: the preload really loads the 100 values (digest compared in the child),
    //    and the worker's HTTP requests and phases.
    ctx.log(`${probeRounds} instrumented (untimed) preload run(s) per source: values, HTTP requests of the worker, phases`);
    const probes = Object.fromEntries(variants.map((v) => [v.key, []]));
    const checkApp = writeCheckApp(dir);
    for (let i = 0; i < probeRounds; i++) {
      for (const v of variants) {
        const probeFile = path.join(dir, `probe-${v.key}-${i}.jsonl`);
        const r = spawnSync(process.execPath, ['-r', PROBE, '-r', './register.js', '-r', PROBE_MARK, checkApp], {
          cwd: ROOT,
          env: { ...v.env, BENCH_HTTP_PROBE_FILE: probeFile, BENCH_EXPECT_DIGEST: digest },
          encoding: 'utf8',
          timeout: 60_000,
        });
        assertChild(r, `${v.key} preload check`);
        const out = JSON.parse(r.stdout.trim().split('\n').pop());
        if (!out.isLoaded || out.count !== SECRETS || !out.match) throw new Error(`${v.key}: the preload loaded ${out.count} secrets (all values as written: ${out.match}), expected ${SECRETS}`);
        probes[v.key].push(phasesOf(fs.readFileSync(probeFile, 'utf8'), out.at));
      }
    }

    // 4. Timed cold starts, interleaved.
    ctx.log(`${rounds} interleaved rounds of ${variants.length} cold starts (1 warm-up round dropped)`);
    const samples = Object.fromEntries(variants.map((v) => [v.key, { first: [], wall: [] }]));
    const once = (v) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, ['-r', './register.js', FIRST_LINE_APP], { cwd: ROOT, env: v.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      assertChild(r, `${v.key} cold start`);
      const first = Number(r.stdout.split('\n').find((l) => /^\d/.test(l)));
      if (!Number.isFinite(first)) throw new Error(`${v.key} cold start: no first line`);
      return { first, wall };
    };
    // The anchor of the AWS row: hand-written SDK code (BatchGetSecretValue 5 x 20) against the same moto, in the
    // same rounds; its "first line" is the moment all 100 values are in.
    if (PEER_NAMES.includes('aws')) {
      const ids = names.map((n) => `${prefix}/${n}`).join(',');
      variants.push({ key: 'handwritten', label: 'hand-written SDK batch', args: [path.join(__dirname, 'fixtures', 'awsHandWritten.js')], env: cleanEnv({ ...PEERS.aws.env, BENCH_AWS_ENDPOINT: 'http://127.0.0.1:5000', BENCH_AWS_IDS: ids }) });
      samples.handwritten = { first: [], wall: [] };
    }
    const timed = (v) => {
      if (!v.args) return once(v);
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, v.args, { cwd: ROOT, env: v.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      assertChild(r, v.label);
      const [first, counts] = r.stdout.trim().split('\n');
      if (JSON.parse(counts).count !== SECRETS) throw new Error(`${v.label}: got ${counts}, expected ${SECRETS} values`);
      return { first: Number(first), wall };
    };
    for (const v of shuffle([...variants])) timed(v);
    for (let i = 0; i < rounds; i++) {
      for (const v of shuffle([...variants])) {
        const s = timed(v);
        samples[v.key].first.push(s.first);
        samples[v.key].wall.push(s.wall);
      }
    }
    // Parts of the blocking provider load, each alone: worker start, the SDK in a worker, the hand-off.
    const parts = PEER_NAMES.includes('aws') ? JSON.parse(spawnSync(process.execPath, [path.join(__dirname, 'fixtures', 'workerParts.js'), String(ctx.quick ? 3 : 7)], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 120_000 }).stdout) : undefined;

    // 5. Each SDK's require alone in a fresh process (what the scheme adds to a worker), interleaved.
    const sdkRuns = ctx.quick ? 1 : 3;
    ctx.log(`${sdkRuns} fresh process(es) per SDK: require time`);
    const sdkLoad = Object.fromEntries(PEER_NAMES.map((p) => [p, []]));
    for (let i = 0; i < sdkRuns; i++) {
      for (const peer of shuffle([...PEER_NAMES])) {
        const code = `const t = performance.now(); require(${JSON.stringify(PEERS[peer].sdk)}); process.stdout.write(String(performance.now() - t));`;
        const r = spawnSync(process.execPath, ['-e', code], { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', timeout: 60_000 });
        assertChild(r, `${PEERS[peer].sdk} require`);
        sdkLoad[peer].push(Number(r.stdout));
      }
    }

    // 6. getMany in-process on fresh clients: calls and wall time.
    const measured = {};
    for (const peer of PEER_NAMES) {
      ctx.log(`${peer}: ${measureRounds} x getMany(${SECRETS}) on a fresh client, counting backend calls`);
      measured[peer] = child(['measure', peer, prefix], payloadJson, `${peer} measure`, { BENCH_ROUNDS: String(measureRounds) });
      if (!measured[peer].allFound || !measured[peer].allMatch) throw new Error(`${peer}: getMany did not return all ${SECRETS} values as written`);
    }

    return rows({ variants, samples, probes, measured, sdkLoad, rounds, measureRounds, probeRounds, azureImpl, parts });
  } finally {
    for (const peer of seeded) {
      ctx.log(`${peer}: deleting the benchmark's secrets`);
      try {
        child(['clean', peer, prefix], JSON.stringify(names), `${peer} clean`);
      } catch (error) {
        ctx.log(`${peer}: cleanup failed (${String(error?.message ?? error).split('\n')[0]}); secrets under ${prefix}/ remain on the local peer`);
      }
    }
  }
}

function rows({ variants, samples, probes, measured, sdkLoad, rounds, measureRounds, probeRounds, azureImpl, parts }) {
  const m = (key, what) => median(samples[key][what]);
  const paired = (key, what) => median(samples[key][what].map((x, i) => x - samples.file[what][i]));
  const base = m('file', 'first');
  const fmt = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
  const out = [
    {
      metric: `cold start, ${SECRETS} secrets, file:// mount: time to first line`,
      unit: 'ms',
      median: base,
      note: `node -r ./register.js app.js, the app prints performance.now() first; medians of ${rounds} interleaved rounds of ${variants.length} variants (random order per round, 1 warm-up round dropped); whole-process wall ${fmt(m('file', 'wall'))} ms`,
    },
  ];
  if (samples.handwritten) {
    const aws = m('aws', 'first');
    const hand = m('handwritten', 'first');
    const pairedRatio = median(samples.aws.first.map((x, i) => x / samples.handwritten.first[i]));
    out.push({
      metric: `AWS cold load, ${SECRETS} secrets (moto): preload, time to first line`,
      unit: 'ms',
      median: aws,
      baseline: hand,
      baselineLabel: `hand-written SDK code in a fresh process: require the SDK, BatchGetSecretValue 5 x 20 at once against the same moto, until all ${SECRETS} values are in; same rounds`,
      note:
        `paired ratio ${pairedRatio.toFixed(2)}x; parts, each alone (medians): worker start ${fmt(parts?.workerStart)} ms, worker start + SDK require ${fmt(parts?.sdkInWorker)} ms (SDK require alone in a process ${fmt(median(sdkLoad.aws))} ms), ` +
        `hand-off of 100 values (postMessage + receiveMessageOnPort) ${parts ? parts.handoff.toFixed(2) : 'n/a'} ms; the preload without providers (file://, same values) ${fmt(base)} ms; the loader worker is started as soon as the schema is loaded, so its start overlaps the rest of the main thread's work`,
      target: `ratio <= ${AWS_HANDWRITTEN_RATIO}x`,
      pass: aws / hand <= AWS_HANDWRITTEN_RATIO,
    });
  }
  for (const peer of PEER_NAMES) {
    const v = variants.find((x) => x.key === peer);
    const label = peer === 'azure' ? `${v.label}, ${azureImpl}` : v.label;
    const first = m(peer, 'first');
    const delta = first - base;
    const ph = (k) => median(probes[peer].map((p) => p[k]));
    const r = measured[peer];
    out.push({
      metric: `cold start, ${SECRETS} secrets, ${peer}:// (${label}): time to first line`,
      unit: 'ms',
      median: first,
      p99: max(samples[peer].first),
      baseline: base,
      baselineLabel: `the same preload on a file:// mount with the same ${SECRETS} values, same rounds`,
      note:
        `p99 column = slowest of ${rounds}; paired Δ ${fmt(paired(peer, 'first'))} ms; whole-process wall ${fmt(m(peer, 'wall'))} ms (file ${fmt(m('file', 'wall'))} ms)` +
        `; require('${PEERS[peer].sdk}') alone ${fmt(median(sdkLoad[peer]))} ms (fresh process, median of ${sdkLoad[peer].length})` +
        `; instrumented runs (median of ${probeRounds}, ms from process start): worker created at ${fmt(ph('spawnAt'))}, running +${fmt(ph('bootstrap'))}, register.js loaded in it +${fmt(ph('workerPreload'))}, ` +
        `first request +${fmt(ph('setup'))} (provider code, SDK, client), last response +${fmt(ph('fetch'))}, app's first line +${fmt(ph('handoff'))} (= ${fmt(ph('firstLine'))}; file:// ${fmt(median(probes.file.map((p) => p.firstLine)))})` +
        (PEERS[peer].nodeEnv !== 'production' ? `; NODE_ENV=${PEERS[peer].nodeEnv} (credential=static is refused in production)` : ''),
      target: `Δ < ${TARGET_MS / 1000} s`,
      pass: delta < TARGET_MS,
    });
    const setupCalls = median(r.rounds.map((x) => x.httpCreate));
    const workerCalls = median(probes[peer].map((p) => p.requests));
    const commands = Object.entries(r.rounds[r.rounds.length - 1].commands ?? {})
      .map(([c, n]) => `${n} x ${c}`)
      .join(', ');
    out.push({
      metric: `${peer}: backend calls to load ${SECRETS} secrets (getMany)`,
      unit: 'calls',
      median: median(r.rounds.map((x) => x.calls)),
      p99: max(r.rounds.map((x) => x.calls)),
      note:
        `${peer === 'aws' ? `SDK commands on the middleware stack (${commands}); ` : 'HTTP requests; '}` +
        `HTTP requests of getMany ${median(r.rounds.map((x) => x.httpGetMany))}, of client creation ${setupCalls}` +
        `; p99 column = most of ${measureRounds} fresh clients; the preload's worker made ${workerCalls} HTTP requests in all (instrumented runs, client creation included)` +
        (peer === 'vault' ? '; Vault KV v2 has no batch read: one GET per secret, 16 in flight' : '') +
        (peer === 'azure' ? '; Key Vault has no batch read: one GET per secret (16 in flight), plus the 401 of the first request (the bearer-token challenge)' : ''),
      target: peer === 'aws' ? `<= ${AWS_MAX_CALLS} calls` : '(no batch API, info)',
      pass: peer === 'aws' ? max(r.rounds.map((x) => x.calls)) <= AWS_MAX_CALLS : undefined,
    });
    const getMany = r.rounds.map((x) => x.getManyMs);
    out.push({
      metric: `${peer}: getMany(${SECRETS}) wall time, fresh client`,
      unit: 'ms',
      median: median(getMany),
      p99: max(getMany),
      note: `in-process, ${measureRounds} fresh clients (SDK already loaded), p99 column = slowest; first round ${fmt(getMany[0])} ms; client creation ${fmt(median(r.rounds.map((x) => x.createMs)))} ms (median)`,
      target: `< ${TARGET_MS / 1000} s`,
      pass: max(getMany) < TARGET_MS,
    });
  }
  return out;
}

/** Which Azure peer runs (scripts/peers/azure.sh writes "lowkey <version> <java>" or "standin"). */
function readAzureImpl() {
  try {
    const impl = fs.readFileSync(path.join(ROOT, '.peers', 'azure', 'impl'), 'utf8').trim().split(/\s+/);
    return impl[0] === 'lowkey' ? `Lowkey Vault ${impl[1] ?? ''}`.trim() : impl[0] === 'standin' ? 'local stand-in' : impl.join(' ');
  } catch {
    return 'unknown peer';
  }
}

/** SHA-256 over the sorted names and values; the check app computes the same from what the preload loaded. */
function payloadDigest(payload) {
  const h = crypto.createHash('sha256');
  for (const name of Object.keys(payload).sort()) h.update(name).update('\0').update(payload[name]).update('\0');
  return h.digest('hex');
}

/** The app of the untimed runs: its first-line time (absolute), then what the preload loaded (count, digest match). */
function writeCheckApp(dir) {
  const file = path.join(dir, 'checkApp.js');
  fs.writeFileSync(
    file,
    `'use strict';
const at = performance.timeOrigin + performance.now();
const crypto = require('node:crypto');
const { secrets } = require(${JSON.stringify(ROOT)});
const names = secrets.names().slice().sort();
const h = crypto.createHash('sha256');
for (const n of names) {
  h.update(n).update('\\0');
  secrets.use(n, (v) => h.update(v));
  h.update('\\0');
}
process.stdout.write(JSON.stringify({ at, isLoaded: secrets.isLoaded, count: names.length, match: h.digest('hex') === process.env.BENCH_EXPECT_DIGEST }) + '\\n');
`,
  );
  return file;
}

/** Phases of one instrumented run from the probe's lines (absolute ms) and the app's first-line time. */
function phasesOf(text, firstLineAt) {
  const events = text.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const main = events.find((e) => e.event === 'main-start');
  const spawn = events.find((e) => e.event === 'worker-spawn');
  const worker = events.find((e) => e.event === 'worker-start');
  const workerMark = worker ? events.find((e) => e.event === 'mark' && e.thread === worker.thread) : undefined;
  const requests = events.filter((e) => e.event === 'request');
  const responses = events.filter((e) => e.event === 'response');
  const origin = main ? main.origin : NaN;
  const firstRequest = requests.length ? Math.min(...requests.map((e) => e.at)) : NaN;
  const lastResponse = responses.length ? Math.max(...responses.map((e) => e.at)) : NaN;
  return {
    requests: requests.length,
    mainRequests: requests.filter((e) => e.thread === main?.thread).length,
    spawnAt: spawn ? spawn.at - origin : NaN,
    bootstrap: worker && spawn ? worker.at - spawn.at : NaN,
    workerPreload: worker && workerMark ? workerMark.at - worker.at : NaN,
    setup: workerMark ? firstRequest - workerMark.at : NaN,
    fetch: lastResponse - firstRequest,
    handoff: firstLineAt - lastResponse,
    firstLine: firstLineAt - origin,
  };
}

/** Run this file as a child with `input` on stdin; parse its last stdout line (JSON of numbers). */
function child(args, input, what, extraEnv = {}) {
  const peer = args[1];
  const env = cleanEnv({ ...PEERS[peer].env, NODE_ENV: PEERS[peer].nodeEnv, ...extraEnv });
  const r = spawnSync(process.execPath, [SELF, '--child', ...args], { cwd: ROOT, env, input, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0 && !r.error) {
    const reason = String(r.stderr ?? '').split('\n').find((l) => l.startsWith('providers bench child failed:'));
    throw new Error(`${what}: exited with ${r.status ?? r.signal}${reason ? ` (${reason})` : ''}`);
  }
  assertChild(r, what);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---- children ----

function readStdin() {
  return fs.readFileSync(0, 'utf8');
}

async function makeClient(peer, prefix) {
  const { ProviderRegistry } = require(path.join(DIST, 'providers', 'ProviderRegistry.js'));
  return ProviderRegistry.withBuiltins().create(new URL(PEERS[peer].uri(prefix)), { env: process.env });
}

/** Run `fn` over `items`, `limit` at a time. */
async function eachLimited(items, limit, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** Write every value of the payload (stdin) as a new secret. */
async function childSeed(peer, prefix) {
  const payload = JSON.parse(readStdin());
  const client = await makeClient(peer, prefix);
  let written = 0;
  const t0 = performance.now();
  try {
    await eachLimited(Object.keys(payload), 8, async (name) => {
      const bytes = Buffer.from(payload[name], 'utf8');
      await client.put(name, bytes);
      bytes.fill(0);
      written++;
    });
  } finally {
    await client.close();
  }
  process.stdout.write(JSON.stringify({ written, ms: performance.now() - t0 }) + '\n');
}

/** Rounds of: a fresh client, getMany of every name; calls counted, values compared with the payload (stdin). */
async function childMeasure(peer, prefix) {
  const payload = JSON.parse(readStdin());
  const names = Object.keys(payload);
  const dc = require('node:diagnostics_channel');
  let http = 0;
  const onRequest = () => http++;
  dc.subscribe('http.client.request.start', onRequest);
  const { ProviderRegistry } = require(path.join(DIST, 'providers', 'ProviderRegistry.js'));
  const rounds = Number(process.env.BENCH_ROUNDS) || 5;
  const out = { rounds: [], allFound: true, allMatch: true };
  for (let i = 0; i < rounds; i++) {
    const h0 = http;
    const tc = performance.now();
    const client = await ProviderRegistry.withBuiltins().create(new URL(PEERS[peer].uri(prefix)), { env: process.env });
    const createMs = performance.now() - tc;
    const httpCreate = http - h0;
    const commands = {};
    let sends = 0;
    if (peer === 'aws') {
      client.sdkClient.middlewareStack.add(
        (next, context) => async (args) => {
          sends++;
          const c = String(context.commandName);
          commands[c] = (commands[c] ?? 0) + 1;
          return next(args);
        },
        { step: 'initialize', name: `benchCountCalls${i}` },
      );
    }
    const h1 = http;
    const tg = performance.now();
    const result = await client.getMany(names);
    const getManyMs = performance.now() - tg;
    const httpGetMany = http - h1;
    await client.close();
    if (result.found.size !== names.length || result.errors.size !== 0) out.allFound = false;
    for (const [name, secret] of result.found) {
      const expected = Buffer.from(payload[name] ?? '', 'utf8');
      if (!expected.equals(secret.value)) out.allMatch = false;
      expected.fill(0);
      secret.value.fill(0);
    }
    out.rounds.push({ createMs, getManyMs, httpCreate, httpGetMany, calls: peer === 'aws' ? sends : httpGetMany, ...(peer === 'aws' ? { commands } : {}) });
  }
  dc.unsubscribe('http.client.request.start', onRequest);
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** Delete the benchmark's secrets for good (names on stdin). */
async function childClean(peer, prefix) {
  const names = JSON.parse(readStdin());
  const client = await makeClient(peer, prefix);
  let deleted = 0;
  const t0 = performance.now();
  try {
    await eachLimited(names, 8, async (name) => {
      await client.delete(name, { permanent: true });
      deleted++;
    });
  } finally {
    await client.close();
  }
  process.stdout.write(JSON.stringify({ deleted, ms: performance.now() - t0 }) + '\n');
}

if (require.main === module && process.argv[2] === '--child') {
  const [which, peer, prefix] = process.argv.slice(3);
  const main = { seed: childSeed, measure: childMeasure, clean: childClean }[which];
  if (!main || !PEERS[peer] || !/^[A-Za-z0-9-]+$/.test(prefix ?? '')) {
    process.stderr.write(`usage: node bench/providers.bench.js --child seed|measure|clean aws|vault|azure <prefix>\n`);
    process.exit(2);
  }
  main(peer, prefix).then(
    () => process.exit(0),
    (error) => {
      // Our errors never hold values; print the code and the first line of the message only.
      process.stderr.write(`providers bench child failed: ${error && error.code ? error.code + ' ' : ''}${String(error && error.message).split('\n')[0]}\n`);
      process.exit(1);
    },
  );
}

module.exports = { name: 'providers', run };
