// Leak tests: planted random values must never appear in stdout, stderr, the operational log, the environment of
// the service or its children, or a core dump of a service that used its secrets through `use` only.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { plantValue } from '../helpers/peers';
import { REQUIRED, ROOT, startService, writeSchema } from '../helpers/service';
import { stagePackage } from '../helpers/stagedPackage';
import { tmpdir } from '../helpers/tmp';

function setup(t: Test, count = 8) {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  const values: Record<string, string> = {};
  for (let i = 0; i < count; i++) values[`SECRET_${i}`] = plantValue();
  new AtomicWriter(mount).write(values);
  const schema = writeSchema(dir, Object.fromEntries(Object.keys(values).map((n) => [n, REQUIRED])));
  return { dir, mount, values, schema };
}

t.test('no planted value in outputs, logs or the environment', async (t) => {
  const { dir, mount, values, schema } = setup(t);
  const logFile = path.join(dir, 'ops.log');
  const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, NODE_ENV: 'production', SECRETS_LOG_DESTINATION: logFile, SECRETS_LOG_LEVEL: 'debug' });
  await s.waitFor((e) => e.event === 'watching');
  // Rotate once (valid) and once (invalid) so that the log has rotation records too.
  const w = new AtomicWriter(mount);
  const rotatedValue = plantValue();
  w.write({ ...values, SECRET_0: rotatedValue });
  await s.waitFor((e) => e.event === 'rotated');
  w.write({ ...values, SECRET_0: rotatedValue, SECRET_1: '' });
  s.send({ op: 'touch-all' });
  await s.waitFor((e) => e.event === 'touched');
  s.send({ op: 'child' });
  const child = await s.waitFor((e) => e.event === 'child');
  t.match(JSON.parse(String(child.out)), { hasSecretVar: false }, 'a child process sees no value in its environment');
  const environ = fs.readFileSync(`/proc/${s.child.pid}/environ`, 'latin1');
  s.send({ op: 'exit' });
  await s.exited;
  const log = fs.readFileSync(logFile, 'utf8');
  t.match(log, /secrets loaded/, 'the operational log was written');
  t.match(log, /secrets rotated/);
  const all = [...Object.values(values), rotatedValue];
  for (const v of all) {
    t.notOk(s.stdout().includes(v), 'not in stdout');
    t.notOk(s.stderr().includes(v), 'not in stderr');
    t.notOk(log.includes(v), 'not in the pino log');
    t.notOk(environ.includes(v), 'not in /proc/<pid>/environ');
  }
});

t.test('a core dump of a process that used every secret through use() (sync and async callbacks) holds none of them', async (t) => {
  try {
    execFileSync('sh', ['-c', 'command -v gcore'], { stdio: 'ignore' });
  } catch {
    t.fail('gcore (gdb) is not installed: .ci/run installs it; install gdb to run this test');
    return;
  }
  const { dir, mount, values, schema } = setup(t, 16);
  const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, PROBE_NO_DIGEST: '1', NODE_ENV: 'production' });
  await s.waitFor((e) => e.event === 'watching');
  s.send({ op: 'touch-all' });
  await s.waitFor((e) => e.event === 'touched');
  s.send({ op: 'touch-async' });
  await s.waitFor((e) => e.event === 'touched-async');
  // Positive controls: a string the app holds, and one secret the app reveal()s, must be found in the dump;
  // they prove the search would see a value that left locked memory.
  const control = plantValue();
  s.send({ op: 'hold', value: control, reveal: 'SECRET_15' });
  await s.waitFor((e) => e.event === 'held');
  const corePrefix = path.join(dir, 'core');
  const r = spawnSync('gcore', ['-o', corePrefix, String(s.child.pid)], { encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, `gcore ran: ${r.stderr?.slice(-300)}`);
  const coreFile = `${corePrefix}.${s.child.pid}`;
  const core = fs.readFileSync(coreFile);
  t.ok(core.length > 1_000_000, `core dump of ${core.length} bytes`);
  t.ok(core.includes(Buffer.from(control)), 'control: a JS string is found in the dump');
  t.ok(core.includes(Buffer.from(values.SECRET_15!)), 'control: a revealed secret is found in the dump');
  for (const [name, v] of Object.entries(values)) {
    if (name === 'SECRET_15') continue;
    t.notOk(core.includes(Buffer.from(v)), `${name} is not in the dump`);
  }
  fs.rmSync(coreFile, { force: true });
  s.send({ op: 'exit' });
  await s.exited;
});

t.test('a core dump of a multi-tenant service after use() with async callbacks holds none of the values', async (t) => {
  try {
    execFileSync('sh', ['-c', 'command -v gcore'], { stdio: 'ignore' });
  } catch {
    t.fail('gcore (gdb) is not installed: .ci/run installs it; install gdb to run this test');
    return;
  }
  const dir = tmpdir(t);
  const store = path.join(dir, 'store');
  fs.mkdirSync(store);
  const tenants = ['acme', 'globex', 'initech', 'umbrella'];
  const values = new Map<string, string>();
  for (const tenant of tenants) {
    for (const name of ['API_KEY', 'DB_PASSWORD', 'SIGNING_KEY']) {
      const v = plantValue();
      values.set(`${tenant}/${name}`, v);
      fs.writeFileSync(path.join(store, `${tenant}__${name}`), v);
    }
  }
  const s = startService(t, {}, { script: path.join(ROOT, 'test', 'fixtures', 'serviceLeak.js'), args: [store, ...tenants], bare: true });
  await s.waitFor((e) => e.event === 'started');
  s.send({ op: 'use-async' });
  t.match(await s.waitFor((e) => e.event === 'used', 20_000), { tenants: 4 });
  const control = plantValue();
  s.send({ op: 'hold', value: control, tenant: 'umbrella', name: 'SIGNING_KEY' });
  await s.waitFor((e) => e.event === 'held');
  // The files were read into ordinary Buffers, zeroed by the cache; the page cache is the kernel's, not the dump's.
  const corePrefix = path.join(dir, 'core');
  const r = spawnSync('gcore', ['-o', corePrefix, String(s.child.pid)], { encoding: 'utf8', timeout: 120_000 });
  t.equal(r.status, 0, `gcore ran: ${r.stderr?.slice(-300)}`);
  const coreFile = `${corePrefix}.${s.child.pid}`;
  const core = fs.readFileSync(coreFile);
  t.ok(core.includes(Buffer.from(control)), 'control: a JS string is found in the dump');
  t.ok(core.includes(Buffer.from(values.get('umbrella/SIGNING_KEY')!)), 'control: a copy taken with get() is found in the dump');
  for (const [key, v] of values) {
    if (key === 'umbrella/SIGNING_KEY') continue;
    t.notOk(core.includes(Buffer.from(v)), `${key} is not in the dump`);
  }
  fs.rmSync(coreFile, { force: true });
  s.send({ op: 'exit' });
  await s.exited;
  for (const v of values.values()) t.notOk(s.stdout().includes(v) || s.stderr().includes(v), 'no value in the output');
});

t.test('exit behaviour is kept: signals still kill, app handlers still run, crashes still crash', async (t) => {
  const { mount, schema } = setup(t, 2);
  const env = { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const s = startService(t, env);
    await s.waitFor((e) => e.event === 'started');
    s.child.kill(signal);
    t.match(await s.exited, { code: null, signal }, `${signal} still ends the process by that signal`);
  }
  const handled = path.join(path.dirname(mount), 'handled.js');
  fs.writeFileSync(handled, `process.on('SIGTERM', () => { process.stdout.write(JSON.stringify({ event: 'app-handled', loaded: require(${JSON.stringify(ROOT)}).secrets.isLoaded }) + '\\n'); process.exit(3); }); process.stdout.write('{"event":"ready"}\\n'); setInterval(() => {}, 1000);`);
  const s = startService(t, env, { script: handled });
  await s.waitFor((e) => e.event === 'ready');
  s.child.kill('SIGTERM');
  t.match(await s.waitFor((e) => e.event === 'app-handled'), { loaded: true }, "the app's own handler runs with secrets still usable");
  t.match(await s.exited, { code: 3 });
  const crash = startService(t, env);
  await crash.waitFor((e) => e.event === 'started');
  crash.send({ op: 'throw' });
  t.match(await crash.exited, { code: 1 }, 'an uncaught exception still exits 1');
  t.match(crash.stderr(), /boom from the app/);
});

t.test('as a non-root user: locking works within RLIMIT_MEMLOCK, and failing to lock is said clearly', async (t) => {
  const { dir, mount, schema } = setup(t, 4);
  for (const p of [dir, mount]) fs.chmodSync(p, 0o755);
  for (const f of fs.readdirSync(mount)) if (!f.startsWith('..data')) fs.chmodSync(path.join(mount, f), 0o755);
  // The clone may sit where uid 65534 cannot enter (under /root, in a mode-0700 directory): it loads a staged copy.
  const pkg = stagePackage(t);
  const run = (memlock: number, extra: Record<string, string>) =>
    // env -u NODE_OPTIONS: tap's process tracking puts its own loader (from this clone) into every child's
    // NODE_OPTIONS, which the other user cannot read either.
    spawnSync('env', ['-u', 'NODE_OPTIONS', 'prlimit', `--memlock=${memlock}:${memlock}`, 'setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '-r', path.join(pkg, 'register.js'), '-e', "process.stdout.write(require('fs').readFileSync('/proc/self/status','utf8').match(/VmLck:.*/)[0])"], {
      env: { PATH: process.env.PATH, SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, ...extra },
      encoding: 'utf8',
      cwd: pkg,
    });
  const ok = run(8 * 1024 * 1024, {});
  t.equal(ok.status, 0, ok.stderr);
  t.notMatch(ok.stderr, /EACCES|Cannot find module/, 'the other user reaches everything it loads');
  t.match(ok.stdout, /VmLck:\s+[1-9]\d* kB/, 'values are locked');
  const low = run(0, {});
  t.equal(low.status, 0, 'without SECRETS_REQUIRE_MLOCK the service starts');
  t.match(low.stderr, /^@valuecanvas\/secrets: warning: secure memory could not be locked \(RLIMIT_MEMLOCK\).*ulimit -l/m);
  t.equal(low.stderr.split('\n').filter((l) => l.includes('could not be locked')).length, 1, 'one human line, once, whatever the number of secrets');
  const strict = run(0, { SECRETS_REQUIRE_MLOCK: '1' });
  t.equal(strict.status, 78, 'SECRETS_REQUIRE_MLOCK=1 refuses to start');
  t.match(strict.stderr, /Could not lock \d+ more bytes of memory \(RLIMIT_MEMLOCK reached/);
});
