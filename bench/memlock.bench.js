'use strict';
// Locked memory (issue 2, "Benchmark"), as a NON-ROOT user under the default RLIMIT_MEMLOCK of 8 MiB:
//   10,000 secrets of 64 bytes in one SecureArena: locked bytes per secret from VmLck (target <= 128) and every
//   region locked (stats().unlockedRegions === 0); 100,000 secrets: the process survives.
// Baseline: one sodium_malloc per secret (sodium-native directly): how many get locked at 10,000, and what
// happens at 100,000.
// The children run through `prlimit --memlock=8388608:8388608 --core=0` and, when we are root,
// `setpriv --reuid=65534 --regid=65534 --clear-groups` (nobody), so the limit applies as it does in a pod.
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { ROOT, cleanEnv } = require('./lib/setup');

const LIMIT = 8 * 1024 * 1024;
const PAGE = 4096;
const TARGET_BYTES = 128;
const NOBODY = 65534;

function hasTool(name) {
  return spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).status === 0;
}

function runChild(mode, count) {
  const isRoot = process.getuid() === 0;
  const argv = ['prlimit', `--memlock=${LIMIT}:${LIMIT}`, '--core=0'];
  if (isRoot) argv.push('setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups');
  argv.push(process.execPath, path.join(__dirname, 'fixtures', 'memlockChild.js'), mode, String(count));
  const r = spawnSync(argv[0], argv.slice(1), { cwd: '/', env: cleanEnv({ HOME: '/' }), encoding: 'utf8', timeout: 120_000 });
  if (r.error) throw new Error(`${mode} ${count}: ${r.error.message}`);
  const lines = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const done = lines.find((l) => l.done);
  const progress = lines.filter((l) => l.progress).at(-1)?.progress ?? 0;
  return { done, progress, status: r.status, signal: r.signal, crashed: !done || r.status !== 0 };
}

const kib = (b) => `${(b / 1024).toFixed(0)} KiB`;
const mib = (b) => `${(b / 2 ** 20).toFixed(2)} MiB`;
const fmtInt = (n) => n.toLocaleString('en-US');

async function run(ctx) {
  for (const tool of ['prlimit', ...(process.getuid() === 0 ? ['setpriv'] : [])]) {
    if (!hasTool(tool)) throw new Error(`${tool} (util-linux) is needed to run as a non-root user under an 8 MiB memlock limit`);
  }
  // The child runs as nobody: it must be able to read node, the repo's dist/ and node_modules/.
  for (const p of [process.execPath, path.join(ROOT, 'dist', 'memory', 'SecureArena.js'), path.join(ROOT, 'node_modules', 'sodium-native', 'index.js')]) {
    if ((fs.statSync(p).mode & 0o004) === 0) throw new Error(`${p} is not world-readable; the non-root child cannot load it`);
  }
  ctx.log(`children as ${process.getuid() === 0 ? 'uid 65534 (setpriv)' : `uid ${process.getuid()}`}, RLIMIT_MEMLOCK ${mib(LIMIT)}`);

  const a10 = runChild('arena', 10_000);
  const m10 = runChild('malloc', 10_000);
  const a100 = runChild('arena', 100_000);
  const m100 = runChild('malloc', 100_000);
  if (a10.crashed) throw new Error(`arena at 10,000 secrets did not finish (exit ${a10.status ?? a10.signal})`);
  if (m10.crashed) throw new Error(`sodium_malloc baseline at 10,000 did not finish (exit ${m10.status ?? m10.signal})`);
  if (a10.done.uid === 0) throw new Error('the child ran as root; the memlock limit would not apply');

  const a = a10.done;
  const perSecret = (a.vmLckAfter - a.vmLckBefore) / a.count;
  const basePerSecret = (m10.done.vmLckAfter - m10.done.vmLckBefore) / m10.done.count;
  // One sodium_malloc(64) locks exactly one page when it locks at all.
  const baseLocked = Math.min(m10.done.count, Math.floor((m10.done.vmLckAfter - m10.done.vmLckBefore) / PAGE));
  const allLocked = a.stats.unlockedRegions === 0 && a.lockFailures === 0;
  const rows = [
    {
      metric: 'locked bytes per secret (VmLck / 10,000 x 64 B), non-root, 8 MiB limit',
      unit: 'B',
      median: perSecret,
      baseline: basePerSecret,
      baselineLabel: `one sodium_malloc per secret: VmLck ${mib(m10.done.vmLckAfter)} / 10,000, but only ${fmtInt(baseLocked)} secrets locked`,
      note: `arena VmLck ${kib(a.vmLckAfter)}, ${a.stats.regions} regions (stats().lockedBytes ${kib(a.stats.lockedBytes)}), maps +${a.mapsAfter - a.mapsBefore}`,
      target: `<= ${TARGET_BYTES} B`,
      pass: perSecret <= TARGET_BYTES,
    },
    {
      metric: 'secrets in locked memory at 10,000 (unlockedRegions === 0)',
      median: allLocked ? `${fmtInt(a.count)} (all)` : `${a.stats.unlockedRegions} region(s) unlocked`,
      baseline: `${fmtInt(baseLocked)}`,
      baselineLabel: `one sodium_malloc per secret: the rest are silently unlocked; maps +${fmtInt(m10.done.mapsAfter - m10.done.mapsBefore)}`,
      target: 'all locked',
      pass: allLocked,
    },
  ];
  const survived = !a100.crashed;
  const d = a100.done;
  rows.push({
    metric: '100,000 x 64 B secrets: no crash',
    median: survived ? `survived, ${d.stats.regions - d.stats.unlockedRegions}/${d.stats.regions} locked` : `crashed (${a100.signal ?? a100.status}) after ${fmtInt(a100.progress)}`,
    baseline: m100.crashed ? `${m100.signal ?? `exit ${m100.status}`} at ~${fmtInt(m100.progress)}` : `survived, VmLck ${mib(m100.done.vmLckAfter)}`,
    baselineLabel: 'one sodium_malloc per secret (16 KiB of address space and 4 memory maps each; vm.max_map_count)',
    note: survived ? `arena: ${fmtInt(d.count)} live slices, VmLck ${mib(d.vmLckAfter)}, ${d.stats.regions} regions all locked, maps +${d.mapsAfter - d.mapsBefore}` : undefined,
    target: 'no crash',
    pass: survived && d.count === 100_000,
  });
  return rows;
}

module.exports = { name: 'memlock', run };
