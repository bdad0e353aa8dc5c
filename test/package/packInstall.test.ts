// The package as users get it: packed, installed into a fresh app with npm, run under the preload.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { plantValue } from '../helpers/peers';
import { ROOT } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', npm_config_fund: 'false', npm_config_audit: 'false', npm_config_update_notifier: 'false' };

t.setTimeout(600_000);

t.test('npm pack, npm install into a temporary app, node -r @valuecanvas/secrets/register', async (t) => {
  const dir = tmpdir(t);
  // Pack a copy (the repository's package.json stays untouched while other tests run), with the same manifest
  // step `npm pack` runs in prepack.
  const pkg = path.join(dir, 'pkg');
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { files: string[]; license: string; version: string };
  for (const f of ['package.json', ...manifest.files]) fs.cpSync(path.join(ROOT, f), path.join(pkg, f), { recursive: true });
  const strip = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'packManifest.js'), 'strip', pkg], { encoding: 'utf8' });
  t.equal(strip.status, 0, strip.stderr);
  const pack = spawnSync(NPM, ['pack', '--ignore-scripts', '--pack-destination', dir], { cwd: pkg, env, encoding: 'utf8' });
  t.equal(pack.status, 0, pack.stderr);
  const tarball = path.join(dir, pack.stdout.trim().split('\n').at(-1)!);

  const app = path.join(dir, 'app');
  fs.mkdirSync(app);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'tmp-app', version: '1.0.0', private: true }));
  const install = spawnSync(NPM, ['install', tarball], { cwd: app, env, encoding: 'utf8', timeout: 480_000 });
  t.equal(install.status, 0, install.stderr);
  t.notMatch(install.stdout + install.stderr, /npm warn/i, 'installing prints no warning');

  const installed = path.join(app, 'node_modules', '@valuecanvas', 'secrets');
  t.equal(manifest.license, 'Apache-2.0');
  t.match(fs.readFileSync(path.join(installed, 'LICENSE'), 'utf8'), /^Apache License\s+Version 2\.0, January 2004/, 'a LICENSE matching package.json');
  t.notOk((JSON.parse(fs.readFileSync(path.join(installed, 'package.json'), 'utf8')) as { scripts?: Record<string, string> }).scripts?.prepare, 'no install script shipped');

  const password = plantValue();
  fs.mkdirSync(path.join(app, 'secrets'));
  fs.writeFileSync(path.join(app, 'secrets', 'DB_PASSWORD'), password + '\n');
  fs.writeFileSync(path.join(app, 'schema.js'), "module.exports = { DB_PASSWORD: { format: 'secret-utf8', default: null, sensitive: true }, SMTP_PORT: { format: 'port', default: 587, env: 'SMTP_PORT' } };\n");
  fs.writeFileSync(path.join(app, 'server.js'), "const { config, secrets } = require('@valuecanvas/secrets');\nconsole.log(JSON.stringify({ loaded: secrets.isLoaded, port: config.get('SMTP_PORT'), length: secrets.use('DB_PASSWORD', (v) => v.length) }));\n");
  const appEnv = { ...env, SECRETS_SOURCE: './secrets', SECRETS_SCHEMA: './schema.js', SMTP_PORT: '2525', SECRETS_WATCH: 'false' };
  const run = spawnSync(process.execPath, ['-r', '@valuecanvas/secrets/register', 'server.js'], { cwd: app, env: appEnv, encoding: 'utf8' });
  t.equal(run.status, 0, run.stderr);
  t.same(JSON.parse(run.stdout), { loaded: true, port: 2525, length: password.length });
  t.notOk(run.stdout.includes(password) || run.stderr.includes(password), 'no value printed');

  // The README's user path, exactly as printed there: its schema.js, server.js and shell lines.
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const userPath = readme.slice(readme.indexOf('## Use it in a service'), readme.indexOf('## Quick start (contributors)'));
  const blocks = [...userPath.matchAll(/```(js|sh)\n([\s\S]*?)```/g)].map((m) => m[2]!);
  const [schemaJs, serverJs, shell] = [blocks[1]!, blocks[2]!, blocks[3]!];
  const readmeApp = path.join(dir, 'readme-app');
  fs.mkdirSync(path.join(readmeApp, 'node_modules', '@valuecanvas'), { recursive: true });
  fs.symlinkSync(installed, path.join(readmeApp, 'node_modules', '@valuecanvas', 'secrets'));
  for (const m of ['node_modules']) for (const dep of fs.readdirSync(path.join(app, m))) if (dep !== '@valuecanvas' && !dep.startsWith('.')) fs.symlinkSync(path.join(app, m, dep), path.join(readmeApp, m, dep));
  fs.writeFileSync(path.join(readmeApp, 'schema.js'), schemaJs);
  fs.writeFileSync(path.join(readmeApp, 'server.js'), serverJs);
  // The server listens forever: a second preload answers one request once it listens, prints it and exits.
  fs.writeFileSync(path.join(readmeApp, 'probe.js'), "const http = require('node:http');\nconst listen = http.Server.prototype.listen;\nhttp.Server.prototype.listen = function (...args) {\n  this.once('listening', () => http.get({ port: this.address().port }, (res) => { let body = ''; res.on('data', (d) => (body += d)); res.on('end', () => { console.log(JSON.stringify({ body })); process.exit(0); }); }));\n  return listen.apply(this, args);\n};\n");
  const lines = shell.trim().split('\n');
  t.equal(spawnSync('sh', ['-c', lines[0]!], { cwd: readmeApp, env }).status, 0, lines[0]!);
  const start = lines[1]!.replace('node -r @valuecanvas/secrets/register server.js', 'node -r @valuecanvas/secrets/register -r ./probe.js server.js');
  const served = spawnSync('sh', ['-c', start], { cwd: readmeApp, env: { ...env, PORT: '0' }, encoding: 'utf8' });
  t.equal(served.status, 0, served.stderr);
  t.same(JSON.parse(served.stdout), { body: 'ok 1\n' }, 'the README service starts with its secret and serves');

  const cli = spawnSync(path.join(app, 'node_modules', '.bin', 'vc-secrets'), ['--version'], { cwd: app, env: { ...env, NODE_OPTIONS: '--require=@valuecanvas/secrets/register' }, encoding: 'utf8' });
  t.equal(cli.status, 0, cli.stderr);
  t.equal(cli.stdout.trim(), manifest.version, 'the installed CLI runs under the preload NODE_OPTIONS');
});
