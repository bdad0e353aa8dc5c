'use strict';
// Start-up cost of the preload at 10 … 10,000 secrets (file source), against anchors measured in the same run:
//   plain      node app.js
//   dotenv     node -r dotenv/config app.js                      (the N values in a .env file)
//   convict    node -r ./bench/fixtures/convictAlone.js app.js   (convict alone: read the N files, validate)
//   preload    node -r ./register.js app.js                      (N secrets, atomic-writer mount on tmpfs)
// Per size, rounds interleave the variants (random order per round). Each run gives (a) the time to the app's
// first line (the app prints performance.now(), ms since process start) and (b) whole-process wall time
// (spawnSync, measured here: includes the preload's deferred start — watcher, log line — and exit).
// "Added" = the median over rounds of (variant − plain node of the same round).
// Targets (added by the preload): 100 secrets <= +15 ms and 1,000 <= +40 ms to the first line; 5,000 <= +120 ms
// whole process. Convict alone is quadratic in the number of properties with `default: null`: it runs up to
// 1,000 secrets only (5,000 takes seconds).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, shuffle } = require('./lib/stats');
const { ROOT, secretNames, randomPayload, writeSchema, writeMount, cleanEnv, assertChild } = require('./lib/setup');

const SIZES = [10, 100, 1000, 5000, 10000];
const CONVICT_MAX = 1000;
/** Added ms allowed, per size: on the time to first line ('first') or the whole process ('wall'). */
const TARGETS = { 100: { first: 15 }, 1000: { first: 40 }, 5000: { wall: 120 } };

function roundsFor(n, quick) {
  const env = Number(process.env.BENCH_STARTUP_RUNS);
  if (env) return env;
  if (quick) return n <= 1000 ? 5 : 3;
  return n <= 100 ? 21 : n <= 1000 ? 11 : 7;
}

/** Fixtures of one size: schema, mount, .env; and the sanity checks (untimed). */
function fixture(ctx, n) {
  const dir = ctx.tmpDir(`startup-${n}`);
  const names = secretNames(n);
  const payload = randomPayload(names, 32);
  const schema = writeSchema(dir, names);
  const mount = path.join(ctx.mountDir(`startup-${n}`), 'mount');
  writeMount(mount, payload);
  const envFile = path.join(dir, '.env');
  fs.writeFileSync(envFile, Object.entries(payload).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  // Same environment for every variant; each variant only reads what concerns it.
  const env = cleanEnv({ SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, DOTENV_CONFIG_PATH: envFile, DOTENV_CONFIG_QUIET: 'true', NODE_ENV: 'production' });
  const check = spawnSync(process.execPath, ['-r', './register.js', path.join(__dirname, 'fixtures', 'checkLoaded.js')], { cwd: ROOT, env, encoding: 'utf8' });
  assertChild(check, `preload sanity check (${n})`);
  const loaded = JSON.parse(check.stdout);
  if (!loaded.isLoaded || loaded.count !== n) throw new Error(`preload loaded ${loaded.count} secrets, expected ${n}`);
  const dotCheck = spawnSync(process.execPath, ['-r', 'dotenv/config', '-e', `process.stdout.write(String(Object.keys(process.env).filter((k) => /^S\\d+$/.test(k)).length))`], { cwd: ROOT, env, encoding: 'utf8' });
  assertChild(dotCheck, `dotenv sanity check (${n})`);
  if (Number(dotCheck.stdout) !== n) throw new Error(`dotenv set ${dotCheck.stdout} values, expected ${n}`);
  return { env };
}

async function run(ctx) {
  const app = path.join(__dirname, 'fixtures', 'firstLine.js');
  const sizes = (process.env.BENCH_STARTUP_SIZES ?? '').split(',').map(Number).filter((x) => x > 0);
  const rows = [];
  for (const n of sizes.length ? sizes : SIZES) {
    const { env } = fixture(ctx, n);
    const variants = [
      { key: 'plain', args: [app] },
      { key: 'dotenv', args: ['-r', 'dotenv/config', app] },
      ...(n <= CONVICT_MAX ? [{ key: 'convict', args: ['-r', './bench/fixtures/convictAlone.js', app] }] : []),
      { key: 'preload', args: ['-r', './register.js', app] },
    ];
    const samples = Object.fromEntries(variants.map((v) => [v.key, { first: [], wall: [] }]));
    const once = (v) => {
      const t0 = process.hrtime.bigint();
      const r = spawnSync(process.execPath, v.args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      const wall = Number(process.hrtime.bigint() - t0) / 1e6;
      assertChild(r, `${v.key} (${n})`);
      return { first: Number(r.stdout.trim()), wall };
    };
    // One warm-up round (page cache, lazy disk reads) is discarded.
    for (const v of variants) once(v);
    const rounds = roundsFor(n, ctx.quick);
    const load = os.loadavg()[0];
    ctx.log(`${n} secrets: ${rounds} interleaved rounds of ${variants.length} variants (load average ${load.toFixed(2)})`);
    for (let i = 0; i < rounds; i++) {
      for (const v of shuffle([...variants])) {
        const s = once(v);
        samples[v.key].first.push(s.first);
        samples[v.key].wall.push(s.wall);
      }
    }
    const added = (key, what) => (samples[key] ? median(samples[key][what].map((x, i) => x - samples.plain[what][i])) : undefined);
    const fmt = (x) => (x === undefined ? 'n/a' : `${x >= 0 ? '+' : ''}${x.toFixed(1)} ms`);
    for (const [what, title] of [
      ['first', 'time to first line'],
      ['wall', 'whole process'],
    ]) {
      const target = TARGETS[n]?.[what];
      const delta = added('preload', what);
      const convict = added('convict', what);
      const dotenv = added('dotenv', what);
      const anchor = convict ?? dotenv;
      rows.push({
        metric: `start-up added over plain node, ${n.toLocaleString('en-US')} secrets (file source): ${title}`,
        unit: 'ms',
        median: delta,
        baseline: anchor,
        baselineLabel: `${convict !== undefined ? 'convict alone' : 'dotenv'} (added over plain node, same rounds)`,
        note: `anchors in the same rounds: dotenv ${fmt(dotenv)}, convict alone ${convict !== undefined ? fmt(convict) : `not run above ${CONVICT_MAX} (quadratic)`}; plain node ${median(samples.plain[what]).toFixed(1)} ms; ${rounds} rounds, load average ${load.toFixed(2)}`,
        ...(target !== undefined ? { target: `Δ <= +${target} ms`, pass: delta <= target } : {}),
        samples: Object.fromEntries(Object.entries(samples).map(([k, s]) => [k, s[what]])),
      });
    }
  }
  return rows;
}

module.exports = { name: 'startup', run };
