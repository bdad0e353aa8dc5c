// The rough edges a new user hits first: the CLI in the app container (under the preload's NODE_OPTIONS),
// --version, check flags, relative sources, unknown schemes, near-miss variable names, every missing setting at
// once, and the memory-lock warning as one line.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import { readSettings } from '../../src/preload/settings';
import { parseSources } from '../../src/sources/parseSources';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { plantValue } from '../helpers/peers';
import { REGISTER, REQUIRED, ROOT, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const CLI = path.join(ROOT, 'bin', 'vc-secrets.js');
const VERSION = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
function node(args: string[], env: Record<string, string>, cwd = ROOT) {
  const r = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env }, encoding: 'utf8', cwd, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('CLI in the app container: NODE_OPTIONS carries the preload, the CLI still runs', async (t) => {
  const dir = tmpdir(t);
  const link = path.join(dir, 'vc-secrets');
  fs.symlinkSync(CLI, link);
  for (const bin of [CLI, link]) {
    // No SECRETS_SOURCE: the preload would exit 78 before any code ran; doctor must run and say what is wrong.
    const r = node([bin, '--json', 'doctor'], { NODE_OPTIONS: `--require=${REGISTER}` });
    t.equal(r.code, 1, `${bin}: doctor ran and reported (exit 1 for a failed finding, not the preload's 78)`);
    const report = JSON.parse(r.stdout) as { findings: { check: string; status: string; detail: string }[] };
    t.match(report.findings[0], { check: 'settings', status: 'fail', detail: /SECRETS_SOURCE is not set/ });
  }
  const v = node([CLI, '--version'], { NODE_OPTIONS: `--require=${REGISTER}` });
  t.equal(v.code, 0);
  t.equal(v.stdout.trim(), VERSION, '--version prints the package version');
});

t.test('check --source --schema, and a relative source resolved from the working directory', async (t) => {
  const dir = tmpdir(t);
  const value = plantValue();
  new AtomicWriter(path.join(dir, 'secrets')).write({ A: value });
  const schema = writeSchema(dir, { A: REQUIRED });
  const flags = node([CLI, 'check', '--source', './secrets', '--schema', schema], {}, dir);
  t.equal(flags.code, 0, flags.stderr);
  t.match(flags.stdout, /ok: 1 secret\(s\) valid from file:\/\/.*\/secrets/);
  const over = node([CLI, 'check', '--source', './secrets'], { SECRETS_SOURCE: 'gopher://x', SECRETS_SCHEMA: schema }, dir);
  t.equal(over.code, 0, 'a flag overrides the variable');
  const viaPreload = node(['-r', REGISTER, '-e', "process.stdout.write(String(require(process.env.ENTRY).secrets.has('A')))"], { SECRETS_SOURCE: './secrets', SECRETS_SCHEMA: schema, ENTRY: ROOT }, dir);
  t.equal(viaPreload.code, 0, viaPreload.stderr);
  t.equal(viaPreload.stdout, 'true', 'SECRETS_SOURCE=./secrets under the preload');
  t.notOk(flags.stdout.includes(value) || viaPreload.stderr.includes(value));
  t.same(parseSources('../m')[0], { kind: 'file', uri: `file://${path.resolve('../m')}`, dir: path.resolve('../m') });
  t.throws(() => parseSources('file:secrets'), { code: 'E_CONFIG', message: /use file:\/\/\/absolute\/dir, or a path \(\/abs\/dir or \.\/relative\/dir/ });
});

t.test('settings: messages that say what to do', async (t) => {
  t.test('an unknown scheme lists every scheme, file: and env: too', async (t) => {
    t.throws(() => ProviderRegistry.withBuiltins().factoryFor(new URL('gopher://x/y')), { code: 'E_CONFIG', message: /Known: file: .*, env: .*, aws:, vault:, openbao:, azure:/ });
  });
  t.test('a near-miss variable name: did you mean', async (t) => {
    t.throws(() => readSettings({ SECRET_SOURCE: 'file:///m', SECRETS_SCHEMA: 's.js' }), { message: /SECRETS_SOURCE is not set\..* SECRET_SOURCE is set: did you mean SECRETS_SOURCE\?/ });
    t.throws(() => readSettings({ SECRETS_SOURCE: 'file:///m', secrets_schema: 's.js' }), { message: /secrets_schema is set: did you mean SECRETS_SCHEMA\?/ });
    t.throws(() => readSettings({ SECRETS_SCHEMA: 's.js', PATH: '/bin' }), { message: /^SECRETS_SOURCE is not set\. Set it/ }, 'no guess without a near miss');
  });
  t.test('every missing setting at once, one line each, under the preload', async (t) => {
    t.throws(() => readSettings({}), { code: 'E_CONFIG', problems: [{ name: 'SECRETS_SOURCE', reason: /is not set/ }, { name: 'SECRETS_SCHEMA', reason: /is not set/ }] });
    const r = node(['-r', REGISTER, '-e', '0'], { SECRET_SOURCE: 'file:///m' });
    t.equal(r.code, 78);
    t.match(r.stderr, /^@valuecanvas\/secrets: SECRETS_SOURCE: SECRETS_SOURCE is not set\. SECRET_SOURCE is set: did you mean SECRETS_SOURCE\?/m);
    t.match(r.stderr, /^@valuecanvas\/secrets: SECRETS_SCHEMA: SECRETS_SCHEMA is not set\./m);
  });
});
