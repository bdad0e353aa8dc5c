// secrets.reload(), state() and comparable version ids, under the real preload.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { plantValue } from '../helpers/peers';
import { REQUIRED, ROOT, runOnce, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const APP = `const { secrets } = require(${JSON.stringify(ROOT)});
const say = (e) => console.log(JSON.stringify(e));
say({ event: 'started', version: secrets.version('KEY'), state: secrets.state() });
require('node:readline').createInterface({ input: process.stdin }).on('line', async (line) => {
  if (line === 'reload') { const r = await secrets.reload(); say({ event: 'reloaded', ...r, previous: secrets.useVersions('KEY', (c, p) => p !== undefined) }); }
  if (line === 'exit') process.exit(0);
});
`;

t.test('secrets.reload() re-reads now and resolves with what changed; state() for orchestrators', async (t) => {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  const writer = new AtomicWriter(mount);
  writer.write({ KEY: plantValue() });
  const schema = writeSchema(dir, { KEY: "{ format: 'secret', default: null, sensitive: true, minBytes: 8 }" });
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(app, APP);
  // No watcher and no recheck: only reload() can see the change.
  const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_WATCH: 'false', SECRETS_RECHECK_MS: '0' }, { script: app });
  const started = await s.waitFor((e) => e.event === 'started', 20_000);
  t.match(started.state, { status: 'loaded', lastChange: String });
  s.child.stdin!.write('reload\n');
  t.match(await s.waitFor((e) => e.event === 'reloaded', 20_000), { names: [], state: { status: 'loaded' }, previous: false });
  s.events.length = 0;
  const next = plantValue();
  writer.write({ KEY: next });
  s.child.stdin!.write('reload\n');
  const r = await s.waitFor((e) => e.event === 'reloaded', 20_000);
  t.match(r, { names: ['KEY'], state: { status: 'loaded' }, previous: true }, 'changed, and the old key kept for the grace period (default on)');
  t.not(r.state, started.state);
  writer.write({ KEY: 'short' });
  s.events.length = 0;
  s.child.stdin!.write('reload\n');
  t.match(await s.waitFor((e) => e.event === 'reloaded', 20_000), { names: [], state: { status: 'rejected', reason: /KEY: / } });
  fs.rmSync(mount, { recursive: true });
  s.events.length = 0;
  s.child.stdin!.write('reload\n');
  t.match(await s.waitFor((e) => e.event === 'reloaded', 20_000), { names: [], state: { status: 'degraded', reason: /E_MOUNT_READ/ } }, 'unreadable is degraded, not rejected');
  t.notOk(s.stdout().includes(next) || s.stderr().includes(next));
  s.child.stdin!.write('exit\n');
  await s.exited;
});

t.test('version ids: equal across processes with one SECRETS_VERSION_KEY_FILE, per process without', async (t) => {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  new AtomicWriter(mount).write({ KEY: 'low' + 'entropy' });
  const schema = writeSchema(dir, { KEY: REQUIRED });
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(app, APP.replace("require('node:readline')", 'process.exit(0); require("node:readline")'));
  const keyFile = path.join(dir, 'version.key');
  fs.writeFileSync(keyFile, plantValue(32));
  const version = async (extra: Record<string, string>) => {
    const r = await runOnce(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_WATCH: 'false', ...extra }, { script: app });
    t.equal(r.code, 0, r.stderr);
    return r.events.find((e) => e.event === 'started')?.version;
  };
  const a = await version({ SECRETS_VERSION_KEY_FILE: keyFile });
  const b = await version({ SECRETS_VERSION_KEY_FILE: keyFile });
  t.equal(a, b, 'two replicas agree');
  t.not(await version({}), await version({}), 'no key: per process');
  fs.writeFileSync(keyFile, 'short');
  const bad = await runOnce(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SECRETS_VERSION_KEY_FILE: keyFile }, { script: app });
  t.equal(bad.code, 78);
  t.match(bad.stderr, /SECRETS_VERSION_KEY_FILE: .* holds 5 bytes; use at least 16 random bytes/);
});
