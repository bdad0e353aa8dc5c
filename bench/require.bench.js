'use strict';
// What `require('@valuecanvas/secrets')` costs an app (no preload): whole-process wall time of
//   baseline   node -e "0"
//   require    node -e "require('<root>')"          (the package entry: secrets, config, errors)
// interleaved in rounds (random order per round). Informational: one figure for the README.
const { spawnSync } = require('node:child_process');
const { median, shuffle } = require('./lib/stats');
const { ROOT, cleanEnv, assertChild } = require('./lib/setup');

async function run(ctx) {
  const rounds = Number(process.env.BENCH_REQUIRE_RUNS) || (ctx.quick ? 7 : 31);
  const env = cleanEnv({});
  const variants = [
    { key: 'baseline', args: ['-e', '0'] },
    { key: 'require', args: ['-e', `require(${JSON.stringify(ROOT)})`] },
  ];
  const samples = { baseline: [], require: [] };
  const once = (v) => {
    const t0 = process.hrtime.bigint();
    const r = spawnSync(process.execPath, v.args, { cwd: ROOT, env, encoding: 'utf8' });
    assertChild(r, v.key);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (const v of variants) once(v); // warm-up: page cache
  ctx.log(`${rounds} interleaved rounds`);
  for (let i = 0; i < rounds; i++) for (const v of shuffle([...variants])) samples[v.key].push(once(v));
  const base = median(samples.baseline);
  const req = median(samples.require);
  return [
    {
      metric: "require('@valuecanvas/secrets') (whole process)",
      unit: 'ms',
      median: Math.round(req * 10) / 10,
      baseline: Math.round(base * 10) / 10,
      baselineLabel: 'node -e "0" (same run, interleaved)',
      note: `${rounds} rounds; the difference is the require cost`,
      samples,
    },
  ];
}

module.exports = { name: 'require', run };
