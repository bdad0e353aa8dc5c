// What could not be run here (a container, a cluster) approximated on this machine: the image's layout (/app is
// the package, so the bare --require specifier resolves by self-reference), its ENTRYPOINT, and the Deployment's
// container exactly as rendered (env, command), against a mount written the way the kubelet / CSI driver write it.
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as readline from 'node:readline';
import t, { type Test } from 'tap';
import { parseManifests, renderKustomization } from '../../src/manifests';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { tmpdir } from '../helpers/tmp';
import { DEPLOY } from './fixtures';
import { kustomizeCommand, ROOT } from './kustomize';

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

if (!fs.existsSync(path.join(ROOT, 'dist', 'preload', 'preload.js'))) throw new Error('dist/ is missing: run `npm run build` first (npm test does).');

/** The runtime stage's /app: package.json, register.js, bin/, dist/, node_modules/, examples/{service,schema}.js. */
function imageLayout(t: Test): string {
  const app = path.join(tmpdir(t, 'vc-image'), 'app');
  fs.mkdirSync(path.join(app, 'examples'), { recursive: true });
  for (const f of ['package.json', 'register.js']) fs.copyFileSync(path.join(ROOT, f), path.join(app, f));
  for (const f of ['service.js', 'schema.js']) fs.copyFileSync(path.join(ROOT, 'examples', f), path.join(app, 'examples', f));
  if (fs.existsSync(path.join(ROOT, 'bin'))) fs.cpSync(path.join(ROOT, 'bin'), path.join(app, 'bin'), { recursive: true });
  fs.symlinkSync(path.join(ROOT, 'dist'), path.join(app, 'dist'));
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
  return app;
}

function goodSecrets(): Record<string, string> {
  return { DB_PASSWORD: randomBytes(12).toString('base64url'), JWT_SIGNING_KEY: randomBytes(64).toString('hex'), STRIPE_API_KEY: `sk_test_${randomBytes(8).toString('hex')}` };
}

interface Run {
  events: Obj[];
  stderr: () => string;
  waitFor: (event: string, ms?: number) => Promise<Obj>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  kill: (signal: NodeJS.Signals) => void;
}

function run(t: Test, argv: string[], env: Record<string, string>, cwd: string): Run {
  const child = spawn(process.execPath, argv, { cwd, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const events: Obj[] = [];
  const waiters: { event: string; resolve: (e: Obj) => void }[] = [];
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let e: Obj;
    try {
      e = JSON.parse(line) as Obj;
    } catch {
      return;
    }
    events.push(e);
    for (const w of waiters.splice(0)) {
      if (w.event === e.event) w.resolve(e);
      else waiters.push(w);
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    events,
    stderr: () => stderr,
    exited,
    kill: (signal) => child.kill(signal),
    waitFor: (event, ms = 15_000) => {
      const seen = events.find((e) => e.event === event);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${event} event in ${ms} ms; stderr: ${stderr}`)), ms);
        waiters.push({ event, resolve: (e) => (clearTimeout(timer), resolve(e)) });
        void exited.then(({ code, signal }) => reject(new Error(`exited (${code ?? signal}) before ${event}; stderr: ${stderr}`)));
      });
    },
  };
}

t.test('the image ENTRYPOINT (node --require @valuecanvas/secrets/register examples/service.js) from /app', async (t) => {
  const app = imageLayout(t);
  const mount = path.join(tmpdir(t, 'vc-mount'), 'secrets-store');
  new AtomicWriter(mount).write(goodSecrets());
  const service = run(t, ['--require', '@valuecanvas/secrets/register', 'examples/service.js'], { NODE_ENV: 'production', SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: path.join(app, 'examples', 'schema.js') }, app);
  const started = await service.waitFor('started');
  for (const name of ['DB_PASSWORD', 'JWT_SIGNING_KEY', 'STRIPE_API_KEY']) t.ok((started.names as string[]).includes(name), `${name} loaded`);
  service.kill('SIGTERM');
  t.match(await service.exited, { signal: 'SIGTERM' }, 'SIGTERM ends it promptly (after zeroing)');
});

t.test('the Deployment\'s container as rendered (aws overlay): NODE_OPTIONS preload, mount, schema; rotation; exit 78', async (t) => {
  const docs = parseManifests(renderKustomization(path.join(DEPLOY, 'overlays', 'aws'), { command: kustomizeCommand() }), 'aws');
  const deployment = docs.map((d) => d.object as Obj).find((o) => o.kind === 'Deployment')!;
  const pod = deployment.spec.template.spec;
  const container = (pod.containers as Obj[])[0]!;
  const mountPath = (container.volumeMounts as Obj[]).find((m) => m.name === 'secrets-store')!.mountPath as string;

  const app = imageLayout(t);
  const mount = path.join(tmpdir(t, 'vc-mount'), 'secrets-store');
  const writer = new AtomicWriter(mount);
  // The pod's paths mapped onto this machine: /app → the layout, the mountPath → the written mount.
  const local = (value: string) => value.replace(mountPath, mount).replace(/^\/app\b/, app);
  const env = Object.fromEntries((container.env as Obj[]).map((e) => [e.name as string, local(e.value as string)]));
  t.equal(env.NODE_OPTIONS, '--require=@valuecanvas/secrets/register');
  const [command, ...args] = container.command as string[];
  t.equal(command, 'node');
  const cwd = local(container.workingDir as string);

  t.test('starts with every required secret, hot-swaps a rotation', async (t) => {
    writer.write(goodSecrets());
    const service = run(t, args, env, cwd);
    await service.waitFor('started');
    await service.waitFor('watching');
    writer.write(goodSecrets());
    const rotated = await service.waitFor('rotated');
    t.ok((rotated.names as string[]).includes('DB_PASSWORD'));
    service.kill('SIGTERM');
    await service.exited;
  });

  t.test('a missing required secret stops the pod before the app runs: exit 78, the secret named', async (t) => {
    const { JWT_SIGNING_KEY, ...rest } = goodSecrets();
    t.ok(JWT_SIGNING_KEY);
    const incomplete = path.join(tmpdir(t, 'vc-mount'), 'secrets-store');
    new AtomicWriter(incomplete).write(rest);
    const service = run(t, args, { ...env, SECRETS_SOURCE: `file://${incomplete}` }, cwd);
    t.match(await service.exited, { code: 78 });
    t.same(service.events, [], 'no app output');
    t.match(service.stderr(), /JWT_SIGNING_KEY: is required but no source has it/);
  });

  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { bin?: string | Record<string, string> };
  const bin = (typeof pkg.bin === 'string' ? pkg.bin : pkg.bin?.['vc-secrets']) ?? '';
  const hasCli = bin !== '' && fs.existsSync(path.join(app, bin)) && fs.existsSync(path.join(ROOT, 'dist', 'cli'));
  t.test('the init container (vc-secrets check) with the same settings', { skip: hasCli ? false : 'package.json has no built vc-secrets bin' }, async (t) => {
    const init = (pod.initContainers as Obj[])[0]!;
    const initEnv = Object.fromEntries((init.env as Obj[]).map((e) => [e.name as string, local(e.value as string)]));
    writer.write(goodSecrets());
    t.equal((init.command as string[])[0], 'vc-secrets');
    // What the image's /usr/local/bin/vc-secrets wrapper runs: node /app/<bin> "$@".
    const check = (settings: Record<string, string>) => spawnSync(process.execPath, [path.join(app, bin), ...(init.command as string[]).slice(1)], { cwd, env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...settings }, encoding: 'utf8', timeout: 60_000 });
    const ok = check(initEnv);
    t.equal(ok.status, 0, ok.stderr);
    const { JWT_SIGNING_KEY, ...rest } = goodSecrets();
    t.ok(JWT_SIGNING_KEY);
    const incomplete = path.join(tmpdir(t, 'vc-mount'), 'secrets-store');
    new AtomicWriter(incomplete).write(rest);
    const failed = check({ ...initEnv, SECRETS_SOURCE: `file://${incomplete}` });
    t.equal(failed.status, 78, 'the init container fails the pod with exit 78');
    t.match(failed.stderr + failed.stdout, /JWT_SIGNING_KEY/);
  });
});
