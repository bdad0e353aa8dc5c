'use strict';
// Median cost of require()-ing each module alone in a fresh process (run from the repo root):
//   node bench/tools/requireCost.js [runs] module ...
//   node bench/tools/requireCost.js 21 node:worker_threads node:crypto sodium-native convict pino
// Each run spawns `node -e` that times one require with process.hrtime; the modules are interleaved.
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { median, shuffle } = require('../lib/stats');

const args = process.argv.slice(2);
const runs = /^\d+$/.test(args[0] ?? '') ? Number(args.shift()) : 21;
const mods = args.length > 0 ? args : ['node:worker_threads', 'node:crypto', 'sodium-native', 'convict', 'pino'];
const root = path.join(__dirname, '..', '..');
const samples = Object.fromEntries(mods.map((m) => [m, []]));
const code = 'const t = process.hrtime.bigint(); require(process.argv[1]); process.stdout.write(String(Number(process.hrtime.bigint() - t) / 1e6));';
for (let i = 0; i < runs; i++) {
  for (const m of shuffle([...mods])) {
    const r = spawnSync(process.execPath, ['-e', code, m], { cwd: root, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`require(${m}) failed`);
    samples[m].push(Number(r.stdout));
  }
}
for (const m of mods) process.stdout.write(`${median(samples[m]).toFixed(2).padStart(7)} ms  require('${m}')\n`);
