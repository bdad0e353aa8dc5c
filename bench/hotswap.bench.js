'use strict';
// Hot-swap latency: from the `..data` rename of a kubelet-style atomic write to the service's `rotated` event,
// over 200 rotations (one value changed each time, >= 60 ms apart, each awaited).
// Floor in the same run: fs.watch on the same kind of mount + reading the 100 files (bench/fixtures/fsWatchRead.js).
// Target: the service's p99 <= 1.5x the floor's p99.
//
// Clock: the writer runs in this process, the service in a child; both read process.hrtime.bigint()
// (CLOCK_MONOTONIC, one clock for every process of the machine). t0 is taken just before the rename(2) of
// `..data_tmp` over `..data` (fs.renameSync is wrapped during the write); t1 first thing in the `rotated`
// listener. As with kubelet, the writer's remaining steps (visible links, deleting the old dir) run in another
// process while the service reacts.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { median, p99, max } = require('./lib/stats');
const { ROOT, secretNames, randomPayload, randomValue, writeSchema, writeMount, cleanEnv } = require('./lib/setup');
const { jsonLines } = require('./lib/lines');

const TARGET_RATIO = 1.5;
const SPACING_MS = 60;

/** writer.write(payload) and the hrtime just before the `..data` rename. */
function timedWrite(writer, payload) {
  const real = fs.renameSync;
  let t0;
  fs.renameSync = function renameSync(from, to) {
    if (path.basename(String(to)) === '..data') t0 = process.hrtime.bigint();
    return real.apply(this, arguments);
  };
  try {
    if (!writer.write(payload)) throw new Error('the writer saw no change');
  } finally {
    fs.renameSync = real;
  }
  if (t0 === undefined) throw new Error('no ..data rename seen');
  return t0;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const ms = (t1, t0) => Number(BigInt(t1) - t0) / 1e6;

function startChild(ctx, args, env, what) {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.resume(); // drained, never printed
  const lines = jsonLines(child.stdout);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const stop = async () => {
    child.stdin.end();
    const r = await Promise.race([exited, sleep(5000).then(() => 'timeout')]);
    if (r === 'timeout') child.kill('SIGKILL');
  };
  child.once('error', (e) => ctx.log(`${what}: ${e.message}`));
  return { child, lines, exited, stop };
}

async function run(ctx) {
  const count = Number(process.env.BENCH_HOTSWAP_ROTATIONS) || (ctx.quick ? 50 : 200);
  const dir = ctx.tmpDir('hotswap');
  const names = secretNames(100);
  const schema = writeSchema(dir, names);
  const mounts = ctx.mountDir('hotswap');

  // Two mounts, two watchers, both alive for the whole run: the service under the preload, and the floor
  // (fs.watch + read). Rotations alternate between them, so both see the same machine noise.
  const svcMount = { dir: path.join(mounts, 'mount'), payload: randomPayload(names, 32) };
  const bareMount = { dir: path.join(mounts, 'mount-floor'), payload: randomPayload(names, 32) };
  svcMount.writer = writeMount(svcMount.dir, svcMount.payload);
  bareMount.writer = writeMount(bareMount.dir, bareMount.payload);
  const env = cleanEnv({ SECRETS_SOURCE: `file://${svcMount.dir}`, SECRETS_SCHEMA: schema, NODE_ENV: 'production' });
  const svc = startChild(ctx, ['-r', './register.js', path.join(__dirname, 'fixtures', 'hotswapService.js')], env, 'service');
  const bare = startChild(ctx, [path.join(__dirname, 'fixtures', 'fsWatchRead.js'), bareMount.dir, names.join(',')], cleanEnv(), 'floor');
  const lat = { svc: [], floor: [], write: [] };
  let missed = 0;
  try {
    if (!(await svc.lines.next((e) => e.event === 'watching', 20_000))) throw new Error('the service never emitted watching');
    if (!(await bare.lines.next((e) => e.kind === 'watching', 20_000))) throw new Error('the floor watcher never started');
    bare.lines.clear();
    ctx.log(`service and floor watching; ${count} rotations each, alternating`);
    const rotate = (m, i) => {
      const name = names[i % names.length];
      m.payload[name] = randomValue(32);
      const w0 = process.hrtime.bigint();
      const t0 = timedWrite(m.writer, m.payload);
      lat.write.push(Number(process.hrtime.bigint() - w0) / 1e6);
      return { t0, name };
    };
    const spaced = async (t0) => {
      const wait = SPACING_MS - Number(process.hrtime.bigint() - t0) / 1e6;
      if (wait > 0) await sleep(wait);
    };
    for (let i = 0; i < count; i++) {
      // The service: wait for its `rotated` event naming the changed secret.
      {
        const { t0, name } = rotate(svcMount, i);
        const e = await svc.lines.next((x) => x.event === 'rotated' && x.names.includes(name), 3000);
        if (e) lat.svc.push(ms(e.t, t0));
        else missed++;
        await spaced(t0);
      }
      // The floor: fs.watch event about `..data`, then the 100 files read.
      {
        const { t0 } = rotate(bareMount, i);
        const r = await bare.lines.next((x) => x.kind === 'read' && BigInt(x.t) >= t0, 3000);
        if (r) lat.floor.push(ms(r.t, t0));
        bare.lines.clear();
        await spaced(t0);
      }
    }
    if (await svc.lines.next((x) => x.event === 'rejected', 0)) throw new Error('the service rejected a valid rotation');
  } finally {
    await Promise.all([svc.stop(), bare.stop()]);
  }

  const svcP99 = p99(lat.svc);
  const floorP99 = p99(lat.floor);
  const ratio = svcP99 / floorP99;
  return [
    {
      metric: `hot-swap: ..data rename -> 'rotated' (${count} rotations, 100 secrets), p99`,
      unit: 'ms',
      median: svcP99,
      baseline: floorP99,
      baselineLabel: "floor: fs.watch on the same kind of mount + reading the 100 files (p99), rotations interleaved with the service's",
      note: `service median ${median(lat.svc).toFixed(2)} ms, max ${max(lat.svc).toFixed(1)} ms, p99 without the first 10 rotations (cold code) ${p99(lat.svc.slice(10)).toFixed(2)} ms; ${missed} rotation(s) not seen within 3 s; floor median ${median(lat.floor).toFixed(2)} ms (${lat.floor.length}/${count} seen); writer: one atomic write of 100 files takes ${median(lat.write).toFixed(1)} ms (median)`,
      target: `p99 <= ${TARGET_RATIO}x floor`,
      pass: missed === 0 && ratio <= TARGET_RATIO,
      samples: { service: lat.svc, floor: lat.floor, writeMs: lat.write },
    },
  ];
}

module.exports = { name: 'hotswap', run };
