'use strict';
// npm run bench  (= node bench/run.js [filter ...] [--json FILE] [--quick] [--strict])
//
// Runs every bench/*.bench.js module (or those whose file or module name contains a filter), one after the
// other, and prints ONE table of their rows. The module contract is documented in bench/README.md.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const BENCH_DIR = __dirname;
const ROOT = path.join(BENCH_DIR, '..');

function parseArgs(argv) {
  const opts = { filters: [], json: undefined, quick: process.env.BENCH_QUICK === '1', strict: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--json') opts.json = argv[++i];
    else if (a === '--quick') opts.quick = true;
    else if (a === '--strict') opts.strict = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write('usage: node bench/run.js [filter ...] [--json FILE] [--quick] [--strict]\n');
      process.exit(0);
    } else opts.filters.push(a.toLowerCase());
  }
  return opts;
}

/** /dev/shm when it is a writable tmpfs, else undefined. */
function tmpfsRoot() {
  try {
    const isTmpfs = fs.readFileSync('/proc/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/dev/shm' && l.split(' ')[2] === 'tmpfs');
    if (!isTmpfs) return undefined;
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    return '/dev/shm';
  } catch {
    return undefined;
  }
}

const log = (msg) => process.stderr.write(`bench: ${msg}\n`);

/** Format a cell: numbers with a precision that suits their size, strings as they are. */
function fmt(v, unit) {
  if (v === undefined || v === null || v === '') return '';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return 'n/a';
    const a = Math.abs(v);
    const s = a >= 1000 ? Math.round(v).toLocaleString('en-US') : a >= 100 ? v.toFixed(0) : a >= 10 ? v.toFixed(1) : v.toFixed(2);
    return unit ? `${s} ${unit}` : s;
  }
  return String(v);
}

/** Fill in what the harness derives: delta and ratio from numeric median and baseline, and the result. */
function normalize(row, moduleName) {
  const r = { module: moduleName, ...row };
  const num = (x) => typeof x === 'number' && Number.isFinite(x);
  if (r.delta === undefined && num(r.median) && num(r.baseline)) r.delta = r.median - r.baseline;
  if (r.ratio === undefined && num(r.median) && num(r.baseline) && r.baseline !== 0) r.ratio = r.median / r.baseline;
  r.result = r.error ? 'ERROR' : r.pass === true ? 'PASS' : r.pass === false ? 'MISS' : '';
  return r;
}

function renderTable(rows) {
  const header = ['Benchmark', 'Metric', 'Median', 'p99', 'Baseline', 'Δ', 'Ratio', 'Target', 'Result'];
  const notes = [];
  let lastModule;
  const body = rows.map((r) => {
    let metric = r.metric;
    if (r.baselineLabel || r.note) {
      const parts = [];
      if (r.baselineLabel) parts.push(`baseline = ${r.baselineLabel}`);
      if (r.note) parts.push(r.note);
      notes.push(`[${notes.length + 1}] ${parts.join('; ')}`);
      metric += ` [${notes.length}]`;
    }
    const cells = [
      r.module === lastModule ? '' : r.module,
      metric,
      fmt(r.median, r.unit),
      fmt(r.p99, r.unit),
      fmt(r.baseline, r.unit),
      typeof r.delta === 'number' ? (r.delta >= 0 ? '+' : '') + fmt(r.delta, r.unit) : fmt(r.delta),
      typeof r.ratio === 'number' ? `${fmt(r.ratio)}x` : fmt(r.ratio),
      r.target ?? '',
      r.result,
    ];
    lastModule = r.module;
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((c) => c[i].length)));
  const line = (cells) => '| ' + cells.map((c, i) => (i >= 2 && i <= 6 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join(' | ') + ' |';
  const sep = '|' + widths.map((w, i) => (i >= 2 && i <= 6 ? '-'.repeat(w + 1) + ':' : '-'.repeat(w + 2))).join('|') + '|';
  return [line(header), sep, ...body.map(line), '', ...notes].join('\n');
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const files = fs
    .readdirSync(BENCH_DIR)
    .filter((f) => f.endsWith('.bench.js'))
    .sort();
  const modules = [];
  for (const file of files) {
    const mod = require(path.join(BENCH_DIR, file));
    if (!mod || typeof mod.run !== 'function' || typeof mod.name !== 'string') throw new Error(`${file} must export { name, run }`);
    const key = `${file} ${mod.name}`.toLowerCase();
    if (opts.filters.length === 0 || opts.filters.some((f) => key.includes(f))) modules.push({ file, mod });
  }
  if (modules.length === 0) {
    log(`no module matches ${opts.filters.join(' ')} (have: ${files.join(', ')})`);
    process.exit(2);
  }
  if (!fs.existsSync(path.join(ROOT, 'dist', 'index.js'))) {
    log('dist/ is missing: run `npm run build` first');
    process.exit(2);
  }

  const tmpDirs = [];
  const mountRoot = process.env.BENCH_MOUNT_ROOT || tmpfsRoot() || os.tmpdir();
  const ctx = {
    root: ROOT,
    dist: path.join(ROOT, 'dist'),
    quick: opts.quick,
    log,
    /** A fresh temp dir, removed when the run ends. */
    tmpDir(prefix = 'bench') {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), `vc-secrets-${prefix}-`));
      tmpDirs.push(dir);
      return dir;
    },
    /**
     * A fresh dir for secret mounts, removed when the run ends: on tmpfs (/dev/shm) when there is one, as
     * kubelet secret volumes and the Secrets Store CSI driver mount tmpfs. BENCH_MOUNT_ROOT overrides.
     */
    mountDir(prefix = 'mount') {
      const dir = fs.mkdtempSync(path.join(mountRoot, `vc-secrets-${prefix}-`));
      tmpDirs.push(dir);
      return dir;
    },
    mountRoot,
  };
  const cleanup = () => {
    for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });

  const started = Date.now();
  const loadBefore = os.loadavg()[0];
  const rows = [];
  let errors = 0;
  for (const { file, mod } of modules) {
    const t0 = Date.now();
    log(`${mod.name} (${file}) ...`);
    try {
      const out = await mod.run({ ...ctx, log: (m) => log(`${mod.name}: ${m}`) });
      if (!Array.isArray(out)) throw new Error('run() must resolve to an array of rows');
      for (const row of out) rows.push(normalize(row, mod.name));
    } catch (error) {
      errors++;
      rows.push(normalize({ metric: 'module failed', error: true, note: String(error?.message ?? error).split('\n')[0] }, mod.name));
    } finally {
      cleanup();
    }
    log(`${mod.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  const misses = rows.filter((r) => r.result === 'MISS').length;
  const passes = rows.filter((r) => r.result === 'PASS').length;
  const total = ((Date.now() - started) / 1000).toFixed(1);
  const machine = `node ${process.version}, ${os.cpus().length} CPUs, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB, Linux ${os.release()}; mounts in ${mountRoot}`;
  const load = `load average ${loadBefore.toFixed(2)} at start, ${os.loadavg()[0].toFixed(2)} at end`;
  process.stdout.write(`\n@valuecanvas/secrets benchmark — ${new Date().toISOString()} — ${machine} — ${total} s, ${load}\n\n`);
  process.stdout.write(renderTable(rows) + '\n\n');
  process.stdout.write(`${passes} PASS, ${misses} MISS, ${errors} module error(s)\n`);
  if (opts.json) {
    fs.writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), machine, load, seconds: Number(total), rows }, null, 2) + '\n');
    log(`rows written to ${opts.json}`);
  }
  process.exitCode = errors > 0 || (opts.strict && misses > 0) ? 1 : 0;
}

main().catch((error) => {
  log(`failed: ${error?.stack ?? error}`);
  process.exit(1);
});
