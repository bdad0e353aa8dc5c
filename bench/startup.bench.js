'use strict';
// Start-up cost of the preload (issue 2, "Benchmark"): whole-process medians of
//   plain      node app.js
//   dotenv     node -r dotenv/config app.js            (100 values in a .env file)
//   preload    node -r ./register.js app.js            (100 secrets, file source on an atomic-writer mount)
// interleaved in rounds (random order per round) to spread the machine's noise over all variants.
// (a) time to the app's first line: the app prints performance.now() (ms since process start);
// (b) whole-process wall time: spawnSync measured by the parent.
// Target: the preload adds at most 30 ms to plain node, judged on (a).
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { median, shuffle } = require('./lib/stats');
const { ROOT, secretNames, randomPayload, writeSchema, writeMount, cleanEnv, assertChild } = require('./lib/setup');

const SECRETS = 100;
const TARGET_MS = 30;

async function run(ctx) {
  const rounds = Number(process.env.BENCH_STARTUP_RUNS) || (ctx.quick ? 7 : 31);
  const dir = ctx.tmpDir('startup');
  const names = secretNames(SECRETS);
  const payload = randomPayload(names, 32);
  const schema = writeSchema(dir, names);
  const mount = path.join(ctx.mountDir('startup'), 'mount');
  writeMount(mount, payload);
  const envFile = path.join(dir, '.env');
  fs.writeFileSync(envFile, Object.entries(payload).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');

  const app = path.join(__dirname, 'fixtures', 'firstLine.js');
  // Same environment for every variant; each variant only reads what concerns it.
  const env = cleanEnv({ SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, DOTENV_CONFIG_PATH: envFile, DOTENV_CONFIG_QUIET: 'true', NODE_ENV: 'production' });
  const variants = [
    { key: 'plain', label: 'node app.js', args: [app] },
    { key: 'dotenv', label: 'node -r dotenv/config app.js (100 values)', args: ['-r', 'dotenv/config', app] },
    { key: 'preload', label: 'node -r ./register.js app.js (100 secrets)', args: ['-r', './register.js', app] },
  ];

  // Not timed: the preload must really load all 100 secrets, and dotenv all 100 values.
  const check = spawnSync(process.execPath, ['-r', './register.js', path.join(__dirname, 'fixtures', 'checkLoaded.js')], { cwd: ROOT, env, encoding: 'utf8' });
  assertChild(check, 'preload sanity check');
  const loaded = JSON.parse(check.stdout);
  if (!loaded.isLoaded || loaded.count !== SECRETS) throw new Error(`preload loaded ${loaded.count} secrets, expected ${SECRETS}`);
  const dotCheck = spawnSync(process.execPath, ['-r', 'dotenv/config', '-e', `process.stdout.write(String(${JSON.stringify(names)}.filter((n) => process.env[n]).length))`], { cwd: ROOT, env, encoding: 'utf8' });
  assertChild(dotCheck, 'dotenv sanity check');
  if (Number(dotCheck.stdout) !== SECRETS) throw new Error(`dotenv set ${dotCheck.stdout} values, expected ${SECRETS}`);

  const samples = Object.fromEntries(variants.map((v) => [v.key, { first: [], wall: [] }]));
  const once = (v) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, v.args, { cwd: ROOT, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const wall = Number(process.hrtime.bigint() - t0) / 1e6;
    assertChild(r, v.label);
    return { first: Number(r.stdout.trim()), wall };
  };
  // Two warm-up rounds (page cache, lazy disk reads) are discarded.
  for (let i = 0; i < 2; i++) for (const v of variants) once(v);
  ctx.log(`${rounds} interleaved rounds of ${variants.length} variants`);
  for (let i = 0; i < rounds; i++) {
    for (const v of shuffle([...variants])) {
      const s = once(v);
      samples[v.key].first.push(s.first);
      samples[v.key].wall.push(s.wall);
    }
  }

  const m = (key, what) => median(samples[key][what]);
  // Median of the per-round differences: robust to a slow round hitting both variants.
  const pairedDelta = (key, what) => median(samples[key][what].map((x, i) => x - samples.plain[what][i]));
  const rows = [];
  for (const [what, title] of [
    ['first', 'time to first line'],
    ['wall', 'whole-process wall time'],
  ]) {
    const base = m('plain', what);
    rows.push({ metric: `${title}: ${variants[0].label}`, unit: 'ms', median: m('plain', what), note: what === 'first' ? `medians of ${rounds} interleaved rounds (random order per round, 2 warm-up rounds dropped); Δ = difference of medians` : undefined });
    rows.push({ metric: `${title}: ${variants[1].label}`, unit: 'ms', median: m('dotenv', what), baseline: base, baselineLabel: 'plain node, same run', note: `paired Δ ${pairedDelta('dotenv', what).toFixed(1)} ms` });
    const delta = m('preload', what) - base;
    rows.push({
      metric: `${title}: ${variants[2].label}`,
      unit: 'ms',
      median: m('preload', what),
      baseline: base,
      baselineLabel: 'plain node, same run',
      note: `paired Δ ${pairedDelta('preload', what).toFixed(1)} ms; vs dotenv +${(m('preload', what) - m('dotenv', what)).toFixed(1)} ms`,
      target: what === 'first' ? `Δ <= +${TARGET_MS} ms` : `(Δ <= +${TARGET_MS} ms, info)`,
      pass: what === 'first' ? delta <= TARGET_MS : undefined,
    });
  }
  return rows;
}

module.exports = { name: 'startup', run };
