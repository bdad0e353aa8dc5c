'use strict';
// Ablation of the preload's start-up cost (run from the repo root; builds its own 100-secret mount):
//   node bench/tools/startupBreakdown.js [rounds] [label-filter]   (plain node always runs)
// Medians of "time to first line" (performance.now() in the app) over interleaved runs of:
//   plain node; -r <one dependency>; -r the library's module graph without running it; the full preload.
// The full preload minus the parts is the work done at start (read, validate, lock, digest). The last variants
// show what loading sodium-native's binding directly would save.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { median, shuffle } = require('../lib/stats');
const { ROOT, secretNames, randomPayload, writeSchema, writeMount, cleanEnv } = require('../lib/setup');

const rounds = Number(process.argv[2]) || 31;
const only = process.argv[3];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-secrets-breakdown-'));
try {
  const names = secretNames(100);
  const schema = writeSchema(dir, names);
  writeMount(path.join(dir, 'mount'), randomPayload(names));
  const env = cleanEnv({ SECRETS_SOURCE: `file://${path.join(dir, 'mount')}`, SECRETS_SCHEMA: schema, NODE_ENV: 'production' });
  const app = path.join(__dirname, '..', 'fixtures', 'firstLine.js');
  const variants = [
    ['plain node', []],
    ['-r node:worker_threads', ['-r', 'node:worker_threads']],
    ['-r node:crypto', ['-r', 'node:crypto']],
    ['-r sodium-native', ['-r', 'sodium-native']],
    ['-r convict', ['-r', 'convict']],
    ['-r pino (not loaded at start)', ['-r', 'pino']],
    ['-r dist/preload/preload.js (graph only, no run)', ['-r', './dist/preload/preload.js']],
    ['-r dist/preload/preload.js + sodium-native + convict (all code, no run)', ['-r', './dist/preload/preload.js', '-r', 'sodium-native', '-r', 'convict']],
    ['-r ./register.js (full preload, 100 secrets)', ['-r', './register.js']],
    ['-r sodium-native prebuilt binding, directly (no require-addon)', ['-r', `sodium-native/prebuilds/${process.platform}-${process.arch}/sodium-native.node`]],
    ['what-if: full preload with sodium-native loaded directly (tools/directSodium.js)', ['-r', './bench/tools/directSodium.js', '-r', './register.js']],
  ].filter(([label], i) => i === 0 || !only || label.includes(only));
  const samples = variants.map(() => []);
  for (let i = 0; i < rounds + 2; i++) {
    for (const idx of shuffle(variants.map((_, j) => j))) {
      const r = spawnSync(process.execPath, [...variants[idx][1], app], { cwd: ROOT, env, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${variants[idx][0]} exited ${r.status}`);
      if (i >= 2) samples[idx].push(Number(r.stdout.trim()));
    }
  }
  const base = median(samples[0]);
  process.stdout.write(`time to first line, median of ${rounds} interleaved runs (node ${process.version})\n`);
  variants.forEach(([label], i) => {
    const m = median(samples[i]);
    process.stdout.write(`${m.toFixed(1).padStart(7)} ms  ${i === 0 ? '         ' : `(+${(m - base).toFixed(1).padStart(5)})`}  ${label}\n`);
  });
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
