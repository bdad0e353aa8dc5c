// The production guard and schema errors, as a user meets them: real processes under `node -r ./register.js`
// and the built CLI.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { plantValue } from '../helpers/peers';
import { REQUIRED, ROOT, runOnce, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const CLI = path.join(ROOT, 'bin', 'vc-secrets.js');
function cli(args: string[], env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env }, encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const records = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

t.test('Preload: env: only when NODE_ENV is exactly development or test', async (t) => {
  const dir = tmpdir(t);
  const value = plantValue();
  const schema = writeSchema(dir, { A: REQUIRED });
  for (const nodeEnv of ['production', 'prod', 'staging', 'Development', undefined]) {
    const r = await runOnce(t, { SECRETS_SOURCE: 'env:', SECRETS_SCHEMA: schema, A: value, ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }) });
    const label = `NODE_ENV ${nodeEnv ?? '(unset)'}`;
    t.equal(r.code, 78, `${label}: exit 78`);
    t.notOk(r.events.some((e) => e.event === 'app-first-line'), `${label}: the app never ran`);
    t.match(r.stderr, /^@valuecanvas\/secrets: SECRETS_SOURCE: the env: source is allowed only when NODE_ENV is exactly development or test/m, label);
    t.notOk(r.stderr.includes(value) || r.stdout.includes(value), `${label}: no value printed`);
  }
  for (const nodeEnv of ['development', 'test']) {
    const r = await runOnce(t, { SECRETS_SOURCE: 'env:', SECRETS_SCHEMA: schema, A: value, NODE_ENV: nodeEnv });
    t.equal(r.code, 0, `NODE_ENV ${nodeEnv}: starts`);
    t.match(r.events[0], { event: 'app-first-line', loaded: true });
  }
});

t.test('Preload: in production, variables named like schema secrets are gone before the first line', async (t) => {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  new AtomicWriter(mount).write({ DB_PASSWORD: plantValue(), TOKEN: 'abcd', PLAIN: 'from-the-mount' });
  const schema = writeSchema(dir, {
    DB_PASSWORD: "{ format: String, default: null, sensitive: true, env: 'DATABASE_PASSWORD' }",
    TOKEN: "{ format: 'secret-hex', default: null }",
    PLAIN: '{ format: String, default: null }',
    SMTP_PORT: "{ format: 'port', default: 587 }",
  });
  const app = path.join(dir, 'app.js');
  fs.writeFileSync(
    app,
    [
      "const keys = ['DB_PASSWORD', 'DATABASE_PASSWORD', 'TOKEN', 'PLAIN', 'SMTP_PORT'];",
      'const child = JSON.parse(require("node:child_process").execFileSync(process.execPath, ["-e", "process.stdout.write(JSON.stringify(Object.keys(process.env)))"], { encoding: "utf8" }));',
      'const environ = require("node:fs").readFileSync("/proc/self/environ", "latin1").split("\\0").map((kv) => kv.split("=")[0]);',
      'process.stdout.write(JSON.stringify({ event: "first-line", env: keys.filter((k) => k in process.env), child: keys.filter((k) => child.includes(k)), environ: keys.filter((k) => environ.includes(k)) }) + "\\n");',
    ].join('\n'),
  );
  const planted = { DB_PASSWORD: plantValue(), DATABASE_PASSWORD: plantValue(), TOKEN: plantValue(), PLAIN: plantValue() };
  const env = { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema, SMTP_PORT: '2525', ...planted };
  for (const nodeEnv of ['production', 'staging', undefined]) {
    const label = `NODE_ENV ${nodeEnv ?? '(unset)'}`;
    const r = await runOnce(t, { ...env, ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }) }, { script: app });
    t.equal(r.code, 0, `${label}: ${r.stderr.slice(0, 300)}`);
    const seen = r.events.find((e) => e.event === 'first-line');
    t.same(seen?.env, ['PLAIN', 'SMTP_PORT'], `${label}: secrets (sensitive or secret formats, and their convict env name) removed; settings kept`);
    t.same(seen?.child, ['PLAIN', 'SMTP_PORT'], `${label}: children do not inherit them`);
    t.same(seen?.environ, ['DB_PASSWORD', 'DATABASE_PASSWORD', 'TOKEN', 'PLAIN', 'SMTP_PORT'], `${label}: /proc/<pid>/environ keeps the initial copy (documented limit)`);
    const warning = records(r.stderr).find((l) => /removed from process.env/.test(String(l.msg)));
    t.match(warning, { level: 40, keys: ['DB_PASSWORD', 'DATABASE_PASSWORD', 'TOKEN'] }, `${label}: a warning names the variables`);
    for (const v of Object.values(planted)) t.notOk(r.stderr.includes(v) || r.stdout.includes(v), `${label}: no value printed`);
  }
  const dev = await runOnce(t, { ...env, NODE_ENV: 'development' }, { script: app });
  t.same(dev.events.find((e) => e.event === 'first-line')?.env, ['DB_PASSWORD', 'DATABASE_PASSWORD', 'TOKEN', 'PLAIN', 'SMTP_PORT'], 'development: nothing removed');
});

t.test('Schema errors a user can act on: preload, check, doctor', async (t) => {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  const value = plantValue();
  new AtomicWriter(mount).write({ TOKEN: value, PORT: '8080abc', RATIO: 'not-a-number', API_URL: 'https://api.example.com/v1' });
  const base = { SECRETS_SOURCE: `file://${mount}` };

  const unknown = writeSchema(tmpdir(t), { TOKEN: "{ format: 'secret-utf9', default: null, sensitive: true }" });
  const start = await runOnce(t, { ...base, SECRETS_SCHEMA: unknown });
  t.equal(start.code, 78, 'unknown format: exit 78');
  t.match(start.stderr, /^@valuecanvas\/secrets: SECRETS_SCHEMA: the schema is not valid: 'TOKEN' uses an unknown format type: secret-utf9\./m, 'convict message, naming the property and the format');
  t.notMatch(start.stderr, /unexpected error/);
  t.match(records(start.stderr)[0], { code: 'E_SCHEMA_LOAD', problems: [{ name: 'SECRETS_SCHEMA', reason: /unknown format type: secret-utf9/ }] }, 'the log has it too');
  const check = cli(['check'], { ...base, SECRETS_SCHEMA: unknown });
  t.equal(check.code, 78);
  t.match(check.stderr, /SECRETS_SCHEMA: the schema is not valid: 'TOKEN' uses an unknown format type: secret-utf9/);
  t.match(JSON.parse(cli(['--json', 'check'], { ...base, SECRETS_SCHEMA: unknown }).stdout), { ok: false, exitCode: 78, code: 'E_SCHEMA_LOAD' });
  const doctor = cli(['--json', 'doctor'], { ...base, SECRETS_SCHEMA: unknown });
  t.equal(doctor.code, 1, 'doctor fails');
  t.match(JSON.parse(doctor.stdout), { ok: false, findings: [{ check: 'schema', status: 'fail', detail: /unknown format type: secret-utf9/ }] }, 'doctor reports the schema broken');

  const badDefault = writeSchema(tmpdir(t), { TOKEN: REQUIRED, PORT: "{ format: 'port', default: 'http' }" });
  const def = await runOnce(t, { ...base, SECRETS_SCHEMA: badDefault });
  t.equal(def.code, 78);
  t.match(def.stderr, /SECRETS_SCHEMA: the default of PORT is invalid: must be a port number.*Fix the default in the schema/);
  t.match(JSON.parse(cli(['--json', 'doctor'], { ...base, SECRETS_SCHEMA: badDefault }).stdout), { findings: [{ check: 'schema', status: 'fail', detail: /the default of PORT is invalid/ }] });

  const numbers = writeSchema(tmpdir(t), { PORT: "{ format: 'port', default: 80 }", RATIO: '{ format: Number, default: 1 }' });
  const num = await runOnce(t, { ...base, SECRETS_SCHEMA: numbers });
  t.equal(num.code, 78, '8080abc and not-a-number are refused');
  t.match(num.stderr, /^@valuecanvas\/secrets: PORT: must be a port number \(0-65535\) written in decimal digits only$/m);
  t.match(num.stderr, /^@valuecanvas\/secrets: RATIO: must be a decimal number/m);
  t.notOk(num.stderr.includes('8080abc') || num.stderr.includes('not-a-number'), 'the text is not echoed');

  // The README's schema: `url` works.
  const readme = writeSchema(tmpdir(t), { TOKEN: REQUIRED, API_URL: "{ format: 'url', default: null }", SMTP_PORT: "{ format: 'port', default: 587 }" });
  const ok = await runOnce(t, { ...base, SECRETS_SCHEMA: readme });
  t.equal(ok.code, 0, ok.stderr.slice(0, 300));
  for (const r of [start, def, num, ok]) t.notOk(r.stderr.includes(value) || r.stdout.includes(value));
});
