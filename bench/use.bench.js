'use strict';
// Cost of secrets.use(name, fn) per call vs Map.get of a string. Target: within 1.5x (a lent view must not cost the
// hot path: a sync callback takes no lease). Also reported: an async callback (`await secrets.use(name, async fn)`,
// which holds a lease until its promise settles) vs awaiting the same async fn on Map.get. Times are CPU time.
// Each group of loops runs in its own child (bench/fixtures/useLoop.js), so that the eight callbacks of the
// megamorphic row do not make the single-callback row's call site megamorphic too.
// A child `node -r ./register.js bench/fixtures/useLoop.js` loads 100 secrets (file source) and times both
// loops in interleaved batches (5M calls each by default); the row is the median batch.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { median, max } = require('./lib/stats');
const { ROOT, secretNames, randomPayload, writeSchema, writeMount, cleanEnv, assertChild } = require('./lib/setup');

const TARGET_RATIO = 1.5;

async function run(ctx) {
  const dir = ctx.tmpDir('use');
  const names = secretNames(100);
  const schema = writeSchema(dir, names);
  const mount = path.join(ctx.mountDir('use'), 'mount');
  writeMount(mount, randomPayload(names, 32));
  const batches = ctx.quick ? 4 : 10;
  const perBatch = 500_000;
  const env = cleanEnv({ SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_WATCH: 'false', NODE_ENV: 'production', BENCH_USE_BATCHES: String(batches), BENCH_USE_CALLS: String(perBatch) });
  ctx.log(`${batches} batches x ${perBatch.toLocaleString('en-US')} calls of each loop`);
  const out = {};
  for (const group of ['mono', 'many', 'async']) {
    const r = spawnSync(process.execPath, ['-r', './register.js', path.join(__dirname, 'fixtures', 'useLoop.js')], { cwd: ROOT, env: { ...env, BENCH_USE_GROUP: group }, encoding: 'utf8', timeout: 120_000 });
    assertChild(r, `useLoop ${group}`);
    const part = JSON.parse(r.stdout.trim().split('\n').pop());
    if (part.names !== names.length || !part.sinkOk) throw new Error(`useLoop saw ${part.names} secrets`);
    Object.assign(out, part);
  }
  const use = median(out.use);
  const map = median(out.map);
  const ratio = use / map;
  return [
    {
      metric: 'secrets.use(name, fn) per call, 100 secrets',
      unit: 'ns/op',
      median: use,
      baseline: map,
      baselineLabel: 'Map<string,string>.get(name).length, same process, interleaved batches',
      note: `median of ${batches} batches x ${perBatch.toLocaleString('en-US')} calls; slowest batch ${max(out.use).toFixed(1)} vs ${max(out.map).toFixed(1)} ns`,
      target: `ratio <= ${TARGET_RATIO}x`,
      pass: ratio <= TARGET_RATIO,
    },
    {
      metric: 'secrets.use with 8 distinct callbacks (megamorphic)',
      unit: 'ns/op',
      median: median(out.useMany),
      baseline: median(out.mapMany),
      baselineLabel: 'the same 8 callbacks applied to Map.get(name), same process',
      note: 'informational: closer to an app with many call sites',
    },
    {
      metric: 'await secrets.use(name, async fn): lease until settled',
      unit: 'ns/op',
      median: median(out.useAsync),
      baseline: median(out.mapAsync),
      baselineLabel: 'await asyncFn(Map.get(name)), same process, interleaved batches',
      note: 'informational: the cost of the lease over an async callback',
    },
  ];
}

module.exports = { name: 'use', run };
