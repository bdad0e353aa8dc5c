'use strict';
// The secret cache (src/cache, issue 3 "Benchmark"):
//  1. 1,000 concurrent reads of one uncached secret through the cache against the AWS peer (moto): backend calls
//     counted on the SDK middleware stack (every send, retries included). Target: exactly 1. Baseline: the same
//     1,000 reads without the cache. Several rounds, each on a fresh cache and a fresh secret.
//  2. Cost of a cached read: `cache.useSync(key, fn)` over 100 cached keys vs `secrets.use(name, fn)` over 100
//     secrets of the file source, in one child under `node -r ./register.js`, interleaved batches.
//     Target: within 2x. Informational: `await cache.use(...)` on a hit, and a hit that builds its key with
//     cacheKey() on every call (what a service does per request).
// Each part runs in its own child process (clean environment); children print one JSON line of numbers, never
// a value. This file is also the child: `node bench/cache.bench.js --child coalesce|hits`.
const { spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const path = require('node:path');
const { median, max } = require('./lib/stats');
const { ROOT, DIST, secretNames, randomPayload, writeSchema, writeMount, cleanEnv, assertChild } = require('./lib/setup');

const SELF = path.join(__dirname, 'cache.bench.js');
const TARGET_RATIO = 2;
const READERS = 1_000;
const MOTO = { endpoint: 'http://127.0.0.1:5000', region: 'us-east-1' };

async function run(ctx) {
  const rows = [];
  // 1. Coalescing against moto.
  ctx.log('starting the AWS peer (moto) if needed');
  const peer = spawnSync('bash', [path.join(ROOT, 'scripts', 'peers.sh'), 'start', 'aws'], { cwd: ROOT, encoding: 'utf8', timeout: 300_000 });
  if (peer.status !== 0) throw new Error(`scripts/peers.sh start aws failed (${peer.status ?? peer.signal}): install the peers with scripts/peers.sh install aws`);
  const rounds = ctx.quick ? 2 : 5;
  ctx.log(`${rounds} rounds of ${READERS} concurrent reads of one uncached secret through the cache (moto)`);
  const c = child(['--child', 'coalesce'], cleanEnv({ BENCH_ROUNDS: String(rounds), BENCH_BASELINE: ctx.quick ? '0' : '1', AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing', AWS_EC2_METADATA_DISABLED: 'true' }), 'cache coalesce child');
  const allOne = c.calls.every((n) => n === 1);
  rows.push({
    metric: `${READERS.toLocaleString('en-US')} concurrent reads of one uncached secret (AWS, moto): backend calls`,
    unit: 'calls',
    median: median(c.calls),
    p99: max(c.calls),
    ...(c.baselineCalls === undefined ? {} : { baseline: c.baselineCalls, baselineLabel: `the same ${READERS.toLocaleString('en-US')} reads as direct provider get() calls, no cache` }),
    note: `${rounds} rounds, each a fresh cache and secret; counted on the SDK middleware stack; p99 column = worst round; every reader got the value: ${c.allServed}`,
    target: '= 1 call',
    pass: allOne && c.allServed,
  });
  rows.push({
    metric: `the same ${READERS.toLocaleString('en-US')} reads: wall time until all are served`,
    unit: 'ms',
    median: median(c.wallMs),
    p99: max(c.wallMs),
    ...(c.baselineWallMs === undefined ? {} : { baseline: c.baselineWallMs, baselineLabel: `${READERS.toLocaleString('en-US')} direct provider get() calls, concurrent` }),
    note: 'informational',
  });

  // 2. Hit cost vs secrets.use on the file source.
  const dir = ctx.tmpDir('cache');
  const names = secretNames(100);
  const schema = writeSchema(dir, names);
  const mount = path.join(ctx.mountDir('cache'), 'mount');
  writeMount(mount, randomPayload(names, 32));
  const batches = ctx.quick ? 4 : 10;
  const perBatch = 500_000;
  ctx.log(`hit cost: ${batches} interleaved batches x ${perBatch.toLocaleString('en-US')} calls of each loop, under the preload`);
  const env = cleanEnv({ SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_WATCH: 'false', NODE_ENV: 'production', BENCH_BATCHES: String(batches), BENCH_CALLS: String(perBatch) });
  const h = child(['-r', './register.js', SELF, '--child', 'hits'], env, 'cache hits child', { isScript: false });
  if (h.names !== names.length || !h.sinkOk) throw new Error(`cache hits child saw ${h.names} secrets`);
  const sync = median(h.useSync);
  const use = median(h.secretsUse);
  rows.push({
    metric: 'cached read: cache.useSync(key, fn) hit, 100 keys',
    unit: 'ns/op',
    median: sync,
    baseline: use,
    baselineLabel: 'secrets.use(name, fn) of the preload, file source, 100 secrets, same process, interleaved batches',
    note: `median of ${batches} batches x ${perBatch.toLocaleString('en-US')} calls; slowest batch ${max(h.useSync).toFixed(1)} vs ${max(h.secretsUse).toFixed(1)} ns; bare Map.get + view ${median(h.map).toFixed(1)} ns`,
    target: `ratio <= ${TARGET_RATIO}x`,
    pass: sync / use <= TARGET_RATIO,
  });
  rows.push({
    metric: 'cached read: await cache.use(key, loader, fn) hit',
    unit: 'ns/op',
    median: median(h.asyncUse),
    baseline: use,
    baselineLabel: 'secrets.use(name, fn), as above',
    note: 'informational: includes the promise and the await of the caller',
  });
  rows.push({
    metric: 'cached read: useSync hit with cacheKey(provider, path) built per call',
    unit: 'ns/op',
    median: median(h.keyed),
    baseline: use,
    baselineLabel: 'secrets.use(name, fn), as above',
    note: 'informational: a service that builds the key from tenant and name on each request',
  });
  return rows;
}

/** Run this file (or `args`) in a child and parse its last stdout line. */
function child(args, env, what, options = { isScript: true }) {
  const argv = options.isScript ? [SELF, ...args] : args;
  const r = spawnSync(process.execPath, argv, { cwd: ROOT, env, encoding: 'utf8', timeout: 300_000 });
  assertChild(r, what);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

// ---- children ----

/** 1. In a child: rounds of 1,000 concurrent cache.use of one fresh secret; backend calls and wall time. */
async function childCoalesce() {
  const { SecretCache } = require(path.join(DIST, 'cache', 'SecretCache.js'));
  const { cacheKey } = require(path.join(DIST, 'cache', 'cacheKey.js'));
  const { awsProviderFactory } = require(path.join(DIST, 'providers', 'aws', 'awsProviderFactory.js'));
  const rounds = Number(process.env.BENCH_ROUNDS) || 5;
  const prefix = `bench${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}/cache/`;
  const uri = new URL(`aws://${MOTO.region}/${prefix}?endpoint=${encodeURIComponent(MOTO.endpoint)}&timeoutMs=5000&retries=2`);
  const client = await awsProviderFactory.create(awsProviderFactory.parse(uri, process.env));
  let sends = 0;
  client.sdkClient.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === 'GetSecretValueCommand') sends++;
      return next(args);
    },
    { step: 'initialize', name: 'benchCountGets' },
  );
  const providerId = uri.toString().split('?')[0];
  const out = { calls: [], wallMs: [], allServed: true };
  for (let r = 0; r < rounds; r++) {
    const name = `tenants/t${r}/DB_PASSWORD`;
    const value = crypto.randomBytes(16).toString('hex');
    const { version } = await client.put(name, Buffer.from(value));
    const cache = new SecretCache();
    const key = cacheKey(providerId, name);
    const before = sends;
    const t0 = performance.now();
    const results = await Promise.all(Array.from({ length: READERS }, () => cache.use(key, () => client.get(name), (view, meta) => meta.version === version && view.toString('utf8') === value)));
    out.wallMs.push(performance.now() - t0);
    out.calls.push(sends - before);
    if (!results.every((ok) => ok === true)) out.allServed = false;
    cache.close();
  }
  if (process.env.BENCH_BASELINE === '1') {
    const name = 'tenants/baseline/DB_PASSWORD';
    await client.put(name, crypto.randomBytes(16));
    const before = sends;
    const t0 = performance.now();
    const got = await Promise.all(Array.from({ length: READERS }, () => client.get(name).then((s) => (s.value.fill(0), 1))));
    out.baselineWallMs = performance.now() - t0;
    out.baselineCalls = sends - before;
    if (got.length !== READERS) out.allServed = false;
  }
  for (let r = 0; r < rounds; r++) await client.delete(`tenants/t${r}/DB_PASSWORD`, { permanent: true }).catch(() => undefined);
  if (process.env.BENCH_BASELINE === '1') await client.delete('tenants/baseline/DB_PASSWORD', { permanent: true }).catch(() => undefined);
  await client.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}

/** 2. In a child under the preload: ns/op of a cache hit vs secrets.use, interleaved batches. */
async function childHits() {
  const { secrets } = require(ROOT);
  const { SecretCache } = require(path.join(DIST, 'cache', 'SecretCache.js'));
  const { cacheKey } = require(path.join(DIST, 'cache', 'cacheKey.js'));
  const { SecureArena } = require(path.join(DIST, 'memory', 'SecureArena.js'));
  const batches = Number(process.env.BENCH_BATCHES) || 10;
  const perBatch = Number(process.env.BENCH_CALLS) || 500_000;
  const names = secrets.names();
  if (names.length === 0) throw new Error('no secrets loaded');
  const providerId = 'aws://us-east-1/bench/';
  const paths = names.map((n) => `prod/tenants/acme/${n}`);
  const keys = paths.map((p) => cacheKey(providerId, p));
  const cache = new SecretCache();
  for (const key of keys) await cache.get(key, async () => ({ value: crypto.randomBytes(32), version: 'v1', stages: [] }));
  // The bare floor: a Map of locked slices, looked up and lent (what secrets.use does minus its own checks).
  const arena = new SecureArena();
  const map = new Map(keys.map((k) => [k, { slice: arena.copyIn(Buffer.alloc(32, 1)) }]));
  const len = (v) => v.length;
  const n = names.length;

  const loops = {
    secretsUse(count) {
      let sink = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0, j = 0; i < count; i++) {
        sink += secrets.use(names[j], len);
        if (++j === n) j = 0;
      }
      return { ns: Number(process.hrtime.bigint() - t0) / count, sink };
    },
    useSync(count) {
      let sink = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0, j = 0; i < count; i++) {
        sink += cache.useSync(keys[j], len);
        if (++j === n) j = 0;
      }
      return { ns: Number(process.hrtime.bigint() - t0) / count, sink };
    },
    keyed(count) {
      let sink = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0, j = 0; i < count; i++) {
        sink += cache.useSync(cacheKey(providerId, paths[j]), len);
        if (++j === n) j = 0;
      }
      return { ns: Number(process.hrtime.bigint() - t0) / count, sink };
    },
    map(count) {
      let sink = 0;
      const t0 = process.hrtime.bigint();
      for (let i = 0, j = 0; i < count; i++) {
        sink += len(map.get(keys[j]).slice.view);
        if (++j === n) j = 0;
      }
      return { ns: Number(process.hrtime.bigint() - t0) / count, sink };
    },
  };
  async function asyncUse(count) {
    let sink = 0;
    const t0 = process.hrtime.bigint();
    for (let i = 0, j = 0; i < count; i++) {
      sink += await cache.use(keys[j], null, len);
      if (++j === n) j = 0;
    }
    return { ns: Number(process.hrtime.bigint() - t0) / count, sink };
  }

  const syncNames = Object.keys(loops);
  for (let w = 0; w < 3; w++) {
    for (const name of syncNames) loops[name](200_000);
    await asyncUse(100_000);
  }
  const out = { names: names.length, perBatch, secretsUse: [], useSync: [], keyed: [], map: [], asyncUse: [], sinkOk: true };
  for (let b = 0; b < batches; b++) {
    const order = b % 2 === 0 ? syncNames : [...syncNames].reverse();
    for (const name of order) {
      const r = loops[name](perBatch);
      out[name].push(r.ns);
      if (!(r.sink > 0)) out.sinkOk = false;
    }
    const r = await asyncUse(Math.floor(perBatch / 5));
    out.asyncUse.push(r.ns);
    if (!(r.sink > 0)) out.sinkOk = false;
  }
  const stats = cache.stats();
  if (stats.loads !== keys.length) out.sinkOk = false; // every timed read was a hit
  cache.close();
  process.stdout.write(JSON.stringify(out) + '\n');
}

if (require.main === module && process.argv[2] === '--child') {
  const which = process.argv[3];
  const main = which === 'coalesce' ? childCoalesce : which === 'hits' ? childHits : undefined;
  if (!main) {
    process.stderr.write(`unknown child ${which}\n`);
    process.exit(2);
  }
  main().then(
    () => process.exit(0),
    (error) => {
      // Our errors never hold values; print the code and message only.
      process.stderr.write(`cache bench child failed: ${error && error.code ? error.code + ' ' : ''}${error && error.message}\n`);
      process.exit(1);
    },
  );
}

module.exports = { name: 'cache', run };
