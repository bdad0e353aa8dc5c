// config under the real preload: CommonJS (-r), ESM (--import), production with settings from the environment,
// and a hot-swap that changes a setting and a secret as one snapshot.
import * as fs from 'node:fs';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { plantValue } from '../helpers/peers';
import { REGISTER, ROOT, runOnce, startService } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const SCHEMA = `module.exports = {
  DB_PASSWORD: { format: 'secret-utf8', default: null, sensitive: true, env: 'DB_PASSWORD' },
  SMTP_PORT: { format: 'port', default: 587, env: 'SMTP_PORT' },
  FEATURE: { format: Boolean, default: false },
  db: { pool: { max: { format: 'int', default: 10, env: 'POOL_MAX' } } },
};
`;
const ENTRY = path.join(ROOT, 'dist', 'index.js');
const REPORT = `({ port: config.get('SMTP_PORT'), portType: typeof config.get('SMTP_PORT'), max: config.get('db.pool.max'), feature: config.get('FEATURE'), secretRefused: (() => { try { config.get('DB_PASSWORD'); return false; } catch (e) { return e.code; } })(), passwordLength: secrets.use('DB_PASSWORD', (v) => v.length) })`;

function setup(t: Test, files: Record<string, string>) {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  const writer = new AtomicWriter(mount);
  writer.write(files);
  const schema = path.join(dir, 'schema.js');
  fs.writeFileSync(schema, SCHEMA);
  return { dir, mount, writer, schema };
}

t.test('config under the preload', async (t) => {
  t.test('CommonJS: typed values with defaults, mount and environment; a secret is refused', async (t) => {
    const password = plantValue();
    const { dir, mount, schema } = setup(t, { DB_PASSWORD: password, 'db.pool.max': '25' });
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(app, `const { config, secrets } = require(${JSON.stringify(ENTRY)});\nconsole.log(JSON.stringify(${REPORT}));\n`);
    const r = await runOnce(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SMTP_PORT: '2525' }, { script: app });
    t.equal(r.code, 0, r.stderr);
    t.same(r.events[0], { port: 2525, portType: 'number', max: 25, feature: false, secretRefused: 'E_SECRET_VIA_CONFIG', passwordLength: password.length });
    t.notOk(r.stdout.includes(password) || r.stderr.includes(password));
  });

  t.test('ESM (--import): the same named exports', async (t) => {
    const password = plantValue();
    const { dir, mount, schema } = setup(t, { DB_PASSWORD: password });
    const app = path.join(dir, 'app.mjs');
    fs.writeFileSync(app, `import { config, secrets } from ${JSON.stringify(ENTRY)};\nconsole.log(JSON.stringify(${REPORT}));\n`);
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(process.execPath, ['--import', REGISTER, app], { env: { PATH: process.env.PATH, SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, POOL_MAX: '7' }, encoding: 'utf8' });
    t.equal(r.status, 0, r.stderr);
    t.same(JSON.parse(r.stdout), { port: 587, portType: 'number', max: 7, feature: false, secretRefused: 'E_SECRET_VIA_CONFIG', passwordLength: password.length });
  });

  t.test('production: settings come from the environment, a secret never does', async (t) => {
    const planted = plantValue();
    const { dir, mount, schema } = setup(t, {});
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(app, `require(${JSON.stringify(ENTRY)});\n`);
    const r = await runOnce(t, { NODE_ENV: 'production', SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SMTP_PORT: '2525', DB_PASSWORD: planted }, { script: app });
    t.equal(r.code, 78, 'the secret in the environment is not used');
    t.match(r.stderr, /^@valuecanvas\/secrets: DB_PASSWORD: is required but no source has it$/m);
    t.notMatch(r.stderr, /SMTP_PORT/, 'the setting from the environment is fine');
    t.notOk(r.stderr.includes(planted));
  });

  t.test('every invalid or missing setting is reported at once (exit 78)', async (t) => {
    const { dir, mount, schema } = setup(t, { DB_PASSWORD: plantValue(), FEATURE: 'true' });
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(app, `require(${JSON.stringify(ENTRY)});\n`);
    const r = await runOnce(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SMTP_PORT: '70000', POOL_MAX: 'many' }, { script: app });
    t.equal(r.code, 78);
    t.match(r.stderr, /^@valuecanvas\/secrets: SMTP_PORT: .*port/m);
    t.match(r.stderr, /^@valuecanvas\/secrets: db\.pool\.max: /m);
  });

  t.test('a hot-swap changes a setting and a secret together; rotated names both', async (t) => {
    const { dir, mount, writer, schema } = setup(t, { DB_PASSWORD: plantValue(), FEATURE: 'false' });
    const app = path.join(dir, 'app.js');
    fs.writeFileSync(
      app,
      `const { config, secrets } = require(${JSON.stringify(ENTRY)});
const say = (e) => console.log(JSON.stringify(e));
say({ event: 'started', feature: config.get('FEATURE') });
secrets.on('rotated', (e) => say({ event: 'rotated', names: e.names, feature: config.get('FEATURE'), length: secrets.use('DB_PASSWORD', (v) => v.length) }));
if (secrets.isWatching) say({ event: 'watching' }); else secrets.once('watching', () => say({ event: 'watching' }));
setInterval(() => {}, 1000);
`,
    );
    const s = startService(t, { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema }, { script: app });
    t.match(await s.waitFor((e) => e.event === 'started', 20_000), { feature: false });
    await s.waitFor((e) => e.event === 'watching', 20_000);
    const next = plantValue(40);
    writer.write({ DB_PASSWORD: next, FEATURE: 'true' });
    const rotated = await s.waitFor((e) => e.event === 'rotated', 20_000);
    t.same(rotated, { event: 'rotated', names: ['DB_PASSWORD', 'FEATURE'], feature: true, length: next.length });
    s.child.kill('SIGTERM');
    await s.exited;
  });
});
