import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { PerFileWriter } from '../../src/testing/PerFileWriter';
import { plantValue } from '../helpers/peers';
import { REQUIRED, runOnce, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');
type State = Record<string, { version: string; sha256: string }>;

t.test('Preload: node -r ./register.js', async (t) => {
  t.test('loads each layout before the app first line', async (t) => {
    for (const layout of ['atomic-writer', 'per-file', 'plain'] as const) {
      const dir = tmpdir(t);
      const mount = path.join(dir, 'mount');
      const values = { A: plantValue(), B: plantValue() };
      if (layout === 'atomic-writer') new AtomicWriter(mount).write({ A: values.A + '\n', B: values.B });
      else if (layout === 'per-file') new PerFileWriter(mount).write(values);
      else {
        fs.mkdirSync(mount);
        for (const [k, v] of Object.entries(values)) fs.writeFileSync(path.join(mount, k), v);
      }
      const schema = writeSchema(dir, { A: REQUIRED, B: REQUIRED });
      const r = await runOnce(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema });
      t.equal(r.code, 0, `${layout}: exit 0`);
      const first = r.events[0];
      t.match(first, { event: 'app-first-line', loaded: true }, `${layout}: loaded before the first line`);
      const state = r.events.find((e) => e.event === 'started')?.state as State;
      t.equal(state.A?.sha256, sha(values.A));
      t.equal(state.B?.sha256, sha(values.B));
      for (const v of Object.values(values)) t.notOk(r.stdout.includes(v) || r.stderr.includes(v), `${layout}: no value printed`);
    }
  });

  t.test('refuses to start with exit 78, one line per problem, before the app runs', async (t) => {
    const dir = tmpdir(t);
    const mount = path.join(dir, 'mount');
    const planted = plantValue(3);
    new AtomicWriter(mount).write({ SHORT: planted, HUGE: 'x'.repeat(100) });
    const schema = writeSchema(dir, {
      MISSING: REQUIRED,
      SHORT: "{ format: 'secret', default: null, minBytes: 64 }",
      HUGE: REQUIRED,
      OK_DEFAULT: "{ format: String, default: 'fine' }",
    });
    const cases: [string, Record<string, string>, RegExp[]][] = [
      ['invalid and missing secrets', { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_MAX_FILE_BYTES: '50' }, [/^@valuecanvas\/secrets: MISSING: is required but no source has it$/m, /^@valuecanvas\/secrets: SHORT: must be at least 64 bytes$/m, /^@valuecanvas\/secrets: HUGE: file HUGE is 100 bytes, over the 50-byte limit/m]],
      ['no SECRETS_SOURCE', { SECRETS_SCHEMA: schema }, [/SECRETS_SOURCE: SECRETS_SOURCE is not set/]],
      ['no SECRETS_SCHEMA', { SECRETS_SOURCE: `file://${mount}` }, [/SECRETS_SCHEMA: SECRETS_SCHEMA is not set/]],
      ['schema module missing', { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: path.join(dir, 'nope.js') }, [/SECRETS_SCHEMA: .*cannot load/]],
      ['mount missing', { SECRETS_SOURCE: `file://${dir}/absent`, SECRETS_SCHEMA: schema }, [/SECRETS_SOURCE: Secrets mount .* cannot be read \(ENOENT\)/]],
      ['bad setting', { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_MAX_FILE_BYTES: 'big' }, [/SECRETS_MAX_FILE_BYTES must be an integer/]],
      ['env: in production', { SECRETS_SOURCE: 'env:', SECRETS_SCHEMA: schema, NODE_ENV: 'production', MISSING: planted }, [/SECRETS_SOURCE: the env: source is allowed only when NODE_ENV is exactly development or test/]],
      ['unknown scheme', { SECRETS_SOURCE: 'gopher://x/y', SECRETS_SCHEMA: schema }, [/Unknown secrets source scheme "gopher:"/]],
    ];
    for (const [label, env, patterns] of cases) {
      const r = await runOnce(t, env);
      t.equal(r.code, 78, `${label}: exit 78`);
      t.notOk(r.events.some((e) => e.event === 'app-first-line'), `${label}: the app never ran`);
      for (const p of patterns) t.match(r.stderr, p, `${label}: ${p}`);
      t.match(r.stderr, /refusing to start \(exit 78\)/);
      const record = r.stderr.split('\n').find((l) => l.startsWith('{'));
      t.ok(record, `${label}: a structured pino record too`);
      t.match(JSON.parse(record!), { level: 60, exitCode: 78, problems: Array });
      t.notOk(r.stderr.includes(planted), `${label}: no value in the output`);
    }
  });

  t.test('env: works in development with a warning naming the keys; production never reads process.env', async (t) => {
    const dir = tmpdir(t);
    const mount = path.join(dir, 'mount');
    const fileValue = plantValue();
    const envValue = plantValue();
    new AtomicWriter(mount).write({ A: fileValue });
    const schema = writeSchema(dir, { A: REQUIRED, B: REQUIRED });
    const dev = await runOnce(t, { SECRETS_SOURCE: `file://${mount},env:?prefix=APP_`, SECRETS_SCHEMA: schema, APP_B: envValue, APP_A: 'ignored-because-file-wins', NODE_ENV: 'development' });
    t.equal(dev.code, 0);
    const state = dev.events.find((e) => e.event === 'started')?.state as State;
    t.equal(state.A?.sha256, sha(fileValue), 'the file source comes first');
    t.equal(state.B?.sha256, sha(envValue), 'env serves what the mount lacks');
    const warn = dev.stderr.split('\n').filter((l) => l.includes('"level":40')).map((l) => JSON.parse(l));
    t.match(warn[0], { keys: ['APP_B'], msg: /development: secrets taken from environment variables/ });
    t.notOk(dev.stderr.includes(envValue));
    const prod = await runOnce(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, NODE_ENV: 'production', B: envValue });
    t.equal(prod.code, 78, 'B is not taken from process.env in production');
    t.match(prod.stderr, /B: is required but no source has it/);
    t.notOk(prod.stderr.includes(envValue));
  });

  t.test('does nothing in worker threads; children do not inherit values', async (t) => {
    const dir = tmpdir(t);
    const mount = path.join(dir, 'mount');
    new AtomicWriter(mount).write({ A: plantValue() });
    const schema = writeSchema(dir, { A: REQUIRED });
    for (const viaNodeOptions of [false, true]) {
      const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema }, { viaNodeOptions });
      await s.waitFor((e) => e.event === 'started');
      s.send({ op: 'worker' });
      t.match(await s.waitFor((e) => e.event === 'worker' || e.event === 'worker-error'), { event: 'worker', loaded: false }, 'the worker did not load secrets');
      s.send({ op: 'child' });
      const child = await s.waitFor((e) => e.event === 'child');
      t.equal(child.err, null, `child process under the same NODE_OPTIONS runs (${viaNodeOptions ? 'NODE_OPTIONS' : '-r'})`);
      t.match(JSON.parse(String(child.out)), { hasSecretVar: false });
      s.send({ op: 'exit' });
      t.equal((await s.exited).code, 0);
    }
  });

  t.test('hot-swap: rotation, identical rewrite, invalid rotation, mount recreated', async (t) => {
    const dir = tmpdir(t);
    const mount = path.join(dir, 'mount');
    const w = new AtomicWriter(mount);
    const v1 = plantValue();
    w.write({ A: v1, B: 'stable-value-b' });
    const schema = writeSchema(dir, { A: "{ format: 'secret-utf8', default: null, minBytes: 16 }", B: REQUIRED });
    // The periodic re-read (1 s here) is the documented safety net behind the watchers; with a mount deleted and
    // recreated under a loaded CI machine, the parent-directory event can come late.
    const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_RECHECK_MS: '1000' });
    await s.waitFor((e) => e.event === 'watching');

    const v2 = plantValue();
    w.write({ A: v2, B: 'stable-value-b' });
    const rotated = await s.waitFor((e) => e.event === 'rotated');
    t.same(rotated.names, ['A'], 'only the changed name');
    t.equal((rotated.state as State).A?.sha256, sha(v2));

    // Identical bytes rewritten through a new ..data dir: no event. While the mount is gone the reload fails:
    // `rejected` with no names, and the last good values stay.
    fs.rmSync(mount, { recursive: true });
    // Depending on when the reload runs, the mount is missing (ENOENT) or half-deleted (required names missing).
    const gone = await s.waitFor((e) => e.event === 'rejected');
    t.match(gone.reason, /cannot be read \(ENOENT\)|is required but no source has it/);
    t.equal((gone.state as State).A?.sha256, sha(v2));
    const w2 = new AtomicWriter(mount);
    w2.write({ A: v2, B: 'stable-value-b' });
    await new Promise((r) => setTimeout(r, 400));
    t.equal(s.events.filter((e) => e.event === 'rotated').length, 1, 'recreated mount with identical bytes: no rotation');

    w2.write({ A: 'short', B: 'stable-value-b' });
    const rejected = await s.waitFor((e) => e.event === 'rejected' && /at least 16 bytes/.test(String(e.reason)), 10_000);
    t.same(rejected.names, ['A']);
    t.match(rejected.reason, /at least 16 bytes/);
    t.equal((rejected.state as State).A?.sha256, sha(v2), 'last good value stays');

    const v3 = plantValue();
    fs.rmSync(mount, { recursive: true });
    new AtomicWriter(mount).write({ A: v3, B: 'stable-value-b' });
    const again = await s.waitFor((e) => e.event === 'rotated' && (e.state as State).A?.sha256 === sha(v3), 10_000);
    t.same(again.names, ['A'], 'picked up after the mount was deleted and recreated');

    s.send({ op: 'exit' });
    await s.exited;
    for (const v of [v1, v2, v3]) t.notOk(s.stdout().includes(v) || s.stderr().includes(v), 'no value in any output');
  });

  t.test('per-file layout: renames are debounced into one reload', async (t) => {
    const dir = tmpdir(t);
    const mount = path.join(dir, 'mount');
    const w = new PerFileWriter(mount);
    w.write({ A: plantValue(), B: plantValue() });
    const schema = writeSchema(dir, { A: REQUIRED, B: REQUIRED });
    const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_DEBOUNCE_MS: '100' });
    await s.waitFor((e) => e.event === 'watching');
    const a = plantValue();
    const b = plantValue();
    w.write({ A: a });
    await new Promise((r) => setTimeout(r, 20));
    w.write({ B: b });
    const rotated = await s.waitFor((e) => e.event === 'rotated');
    t.same(rotated.names, ['A', 'B'], 'both renames in one swap');
    t.equal(s.events.filter((e) => e.event === 'rotated').length, 1);
  });
});

t.test('Preload: ESM apps with --import, and npm/npx under the same NODE_OPTIONS', async (t) => {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  const value = plantValue();
  new AtomicWriter(mount).write({ A: value });
  const schema = writeSchema(dir, { A: REQUIRED });
  const app = path.join(dir, 'app.mjs');
  fs.writeFileSync(app, `import { secrets } from ${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'index.js'))};\nprocess.stdout.write(JSON.stringify({ event: 'esm', loaded: secrets.isLoaded, version: secrets.version('A') }) + '\\n');\n`);
  const { spawnSync } = await import('node:child_process');
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema };
  const register = path.join(__dirname, '..', '..', 'register.js');
  const esm = spawnSync(process.execPath, ['--import', register, app], { env, encoding: 'utf8' });
  t.equal(esm.status, 0, esm.stderr);
  t.match(JSON.parse(esm.stdout.trim()), { event: 'esm', loaded: true, version: /^d:/ });
  const bad = spawnSync(process.execPath, ['--import', register, app], { env: { ...env, SECRETS_SCHEMA: path.join(dir, 'none.js') }, encoding: 'utf8' });
  t.equal(bad.status, 78, 'an ESM app is refused the same way');
  t.equal(bad.stdout, '', 'before its first line');
  for (const tool of ['npm', 'npx']) {
    const r = spawnSync(tool, ['--version'], { env: { ...env, NODE_OPTIONS: `--require=${register}`, SECRETS_SOURCE: 'file:///nonexistent' }, encoding: 'utf8' });
    t.equal(r.status, 0, `${tool} still runs under NODE_OPTIONS (the preload skips package managers): ${r.stderr.slice(0, 200)}`);
  }
  t.notOk(esm.stdout.includes(value) || esm.stderr.includes(value));
});
