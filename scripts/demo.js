'use strict';
// npm run demo: builds a kubelet-style mount from fixtures/, starts examples/service.js under the preload,
// performs one valid rotation and one invalid one, prints what happened (never a value) and exits 0.
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const readline = require('node:readline');
const { AtomicWriter } = require('../dist/testing/AtomicWriter');

const root = path.join(__dirname, '..');
const fixtures = path.join(root, 'fixtures', 'secrets');
const mount = fs.mkdtempSync(path.join(os.tmpdir(), 'vc-secrets-demo-'));
const writer = new AtomicWriter(mount);
const payload = Object.fromEntries(fs.readdirSync(fixtures).map((n) => [n, fs.readFileSync(path.join(fixtures, n))]));
writer.write(payload);

const out = (line) => process.stdout.write(line + '\n');
out(`demo: mount ${mount} written by the atomic writer (..data -> ${fs.readlinkSync(path.join(mount, '..data'))})`);

const child = spawn(process.execPath, ['-r', path.join(root, 'register.js'), path.join(root, 'examples', 'service.js')], {
  env: { ...process.env, SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: path.join(root, 'examples', 'schema.js'), SECRETS_LOG_LEVEL: 'warn', NODE_ENV: 'development' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const events = readline.createInterface({ input: child.stdout });
const waiters = [];
events.on('line', (line) => {
  let e;
  try {
    e = JSON.parse(line);
  } catch {
    return out(`service: ${line}`);
  }
  out(`service event: ${JSON.stringify(e)}`);
  const w = waiters.shift();
  if (w) w(e);
});
const next = () => new Promise((resolve) => waiters.push(resolve));
const fail = (why) => {
  out(`demo: FAILED: ${why}`);
  child.kill('SIGKILL');
  process.exit(1);
};
const timer = setTimeout(() => fail('timed out'), 20_000);

(async () => {
  const started = await next();
  if (started.event !== 'started') fail('service did not start');
  if ((await next()).event !== 'watching') fail('service is not watching its mount');

  out('demo: rotating DB_PASSWORD to a new valid value (atomic ..data swap)');
  writer.write({ ...payload, DB_PASSWORD: 'a-new-long-password-' + Date.now() + '\n' });
  const rotated = await next();
  if (rotated.event !== 'rotated' || !rotated.names.includes('DB_PASSWORD')) fail('no rotated event');

  out('demo: rotating DB_PASSWORD to an invalid value (too short for the schema)');
  writer.write({ ...payload, DB_PASSWORD: 'short\n' });
  const rejected = await next();
  if (rejected.event !== 'rejected') fail('no rejected event');
  if (rejected.stillServing.DB_PASSWORD !== rotated.versions.DB_PASSWORD) fail('last good value not kept');

  out('demo: stopping the service with SIGTERM (secrets are zeroed on the way out)');
  child.kill('SIGTERM');
  child.on('exit', (code, signal) => {
    clearTimeout(timer);
    out(`demo: service exited (${signal ?? code}); rotation applied, invalid rotation rejected, last good version ${rejected.stillServing.DB_PASSWORD} kept`);
    fs.rmSync(mount, { recursive: true, force: true });
    out('demo: OK');
  });
})();
