// The app test story, proven with the real runners: Jest, Vitest and node:test each run a tiny app's unit tests
// with installSecrets (no mount, no preload), and Jest runs one under the preload (NODE_OPTIONS), where each test
// file gets its own module registry and globalThis.
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { plantValue } from '../helpers/peers';
import { REGISTER, ROOT } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const DIR = path.join(ROOT, 'test', 'frameworks');
const BIN = path.join(ROOT, 'node_modules', '.bin');

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(args[0]!, args.slice(1), { cwd: ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', CI: 'true', NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

t.setTimeout(300_000);

t.test('Jest: installSecrets in an app test', async (t) => {
  const r = await run([path.join(BIN, 'jest'), '--rootDir', DIR, '--ci', path.join(DIR, 'app.jest.test.js')]);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /Tests:\s+3 passed, 3 total/);
});

t.test('Jest under the preload: the loaded runtime is reachable from the test file', async (t) => {
  const dir = tmpdir(t);
  const key = plantValue();
  fs.mkdirSync(path.join(dir, 'm'));
  fs.writeFileSync(path.join(dir, 'm', 'JWT_KEY'), key);
  const env = {
    NODE_OPTIONS: `--require=${REGISTER}`,
    SECRETS_SOURCE: `file://${path.join(dir, 'm')}`,
    SECRETS_SCHEMA: path.join(DIR, 'schema.js'),
    SECRETS_WATCH: 'false',
    SMTP_HOST: 'mail.env',
    EXPECT_HOST: 'mail.env',
    EXPECT_SIGNATURE: createHmac('sha256', key).update('body').digest('hex'),
  };
  const r = await run([path.join(BIN, 'jest'), '--rootDir', DIR, '--ci', path.join(DIR, 'preload.jest.test.js')], env);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /Tests:\s+1 passed, 1 total/);
  t.notOk(r.out.includes(key), 'no value printed');
});

t.test('Vitest: installSecrets in an app test', async (t) => {
  const r = await run([path.join(BIN, 'vitest'), 'run', '--root', DIR, 'app.vitest']);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /Tests\s+3 passed \(3\)/);
});

t.test('node:test: installSecrets in an app test', async (t) => {
  const r = await run([process.execPath, '--test', path.join(DIR, 'app.node-test.js')]);
  t.equal(r.code, 0, r.out);
  t.match(r.out, /^# pass 3$/m);
  t.match(r.out, /^# fail 0$/m);
});
