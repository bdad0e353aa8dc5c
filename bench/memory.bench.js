'use strict';
// Memory of the preload at 10 … 10,000 secrets (file source, 32-byte values): resident set size of a settled
// process (bench/fixtures/rssProbe.js: under the preload after the `watching` event, + 100 ms) over plain node
// given the same values as environment variables (how a twelve-factor app gets them), against dotenv (the values
// in a .env file) measured in the same rounds. Reported per secret. Target: <= 1 KiB per secret at 10,000.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, shuffle } = require('./lib/stats');
const { ROOT, secretNames, randomPayload, writeSchema, writeMount, cleanEnv, assertChild } = require('./lib/setup');

const SIZES = [10, 100, 1000, 5000, 10000];
const TARGET_BYTES = { 10000: 1024 };

async function run(ctx) {
  const app = path.join(__dirname, 'fixtures', 'rssProbe.js');
  const sizes = (process.env.BENCH_MEMORY_SIZES ?? '').split(',').map(Number).filter((x) => x > 0);
  const rounds = Number(process.env.BENCH_MEMORY_RUNS) || (ctx.quick ? 3 : 7);
  const rows = [];
  for (const n of sizes.length ? sizes : SIZES) {
    const dir = ctx.tmpDir(`memory-${n}`);
    const names = secretNames(n);
    const payload = randomPayload(names, 32);
    const schema = writeSchema(dir, names);
    const mount = path.join(ctx.mountDir(`memory-${n}`), 'mount');
    writeMount(mount, payload);
    const envFile = path.join(dir, '.env');
    fs.writeFileSync(envFile, Object.entries(payload).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    const variants = [
      { key: 'plain', args: [app], env: cleanEnv(payload) },
      { key: 'dotenv', args: ['-r', 'dotenv/config', app], env: cleanEnv({ DOTENV_CONFIG_PATH: envFile, DOTENV_CONFIG_QUIET: 'true' }) },
      { key: 'preload', args: ['-r', './register.js', app], env: cleanEnv({ SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, NODE_ENV: 'production' }) },
    ];
    const rss = Object.fromEntries(variants.map((v) => [v.key, []]));
    const load = os.loadavg()[0];
    ctx.log(`${n} secrets: ${rounds} interleaved rounds of ${variants.length} variants (load average ${load.toFixed(2)})`);
    for (let i = 0; i < rounds; i++) {
      for (const v of shuffle([...variants])) {
        const r = spawnSync(process.execPath, v.args, { cwd: ROOT, env: v.env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
        assertChild(r, `${v.key} (${n})`);
        rss[v.key].push(JSON.parse(r.stdout.trim()).rss);
      }
    }
    const perSecret = (key) => median(rss[key].map((x, i) => (x - rss.plain[i]) / n));
    const mib = (key) => median(rss[key].map((x, i) => x - rss.plain[i])) / 1048576;
    const target = TARGET_BYTES[n];
    const value = perSecret('preload');
    rows.push({
      metric: `RSS added over plain node with the values in env, ${n.toLocaleString('en-US')} secrets, per secret`,
      unit: 'B',
      median: value,
      baseline: perSecret('dotenv'),
      baselineLabel: 'dotenv (the values in a .env file), same rounds, per secret',
      note: `preload +${mib('preload').toFixed(1)} MiB, dotenv +${mib('dotenv').toFixed(1)} MiB over plain node (${(median(rss.plain) / 1048576).toFixed(1)} MiB); ${rounds} rounds, load average ${load.toFixed(2)}`,
      ...(target !== undefined ? { target: `<= ${target} B per secret`, pass: value <= target } : {}),
    });
  }
  return rows;
}

module.exports = { name: 'memory', run };
