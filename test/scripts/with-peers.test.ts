// scripts/with-peers.sh (what `npm test` runs tap through): a test run stops the peers it started and only those;
// a peer that was already running is reused and left running. The second case runs a private moto on a free port
// in a copy of the scripts, so the shared peers are never touched.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { get } from 'node:http';
import { createServer } from 'node:net';
import * as path from 'node:path';
import t from 'tap';
import { ensurePeer, PEERS } from '../helpers/peers';
import { tmpdir } from '../helpers/tmp';

const ROOT = path.join(__dirname, '..', '..');

function run(args: string[], options: { cwd: string; env?: Record<string, string> }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', args, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Whether moto answers /moto-api/ on `port`. */
function motoAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/moto-api/', timeout: 3_000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => (req.destroy(), resolve(false)));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

t.test('a peer that was running before the run is reused and left running', async (t) => {
  ensurePeer('aws');
  const port = Number(new URL(PEERS.aws.endpoint).port);
  const r = await run([path.join(ROOT, 'scripts', 'with-peers.sh'), 'bash', path.join(ROOT, 'scripts', 'peers.sh'), 'start', 'aws'], { cwd: ROOT });
  t.equal(r.code, 0, r.stderr);
  t.notMatch(r.stderr, /stopping/, 'nothing is stopped');
  t.ok(await motoAnswers(port), 'the running peer still answers after the run');
});

t.test('a peer the run started is stopped when the run ends, and the exit status is the command’s', async (t) => {
  const root = tmpdir(t, 'vc-with-peers');
  fs.cpSync(path.join(ROOT, 'scripts'), path.join(root, 'scripts'), { recursive: true });
  fs.mkdirSync(path.join(root, '.peers', 'aws'), { recursive: true });
  // The installed moto, shared read-only (installing it again would need the network).
  fs.symlinkSync(fs.realpathSync(path.join(ROOT, '.peers', 'aws', 'venv')), path.join(root, '.peers', 'aws', 'venv'));
  const port = await freePort();
  const inner = `bash scripts/peers.sh start aws >&2 && cat .peers/aws/server.pid && exit 7`;
  const r = await run([path.join(root, 'scripts', 'with-peers.sh'), 'bash', '-c', inner], { cwd: root, env: { AWS_PEER_PORT: String(port) } });
  t.equal(r.code, 7, `the command's own exit status is kept (${r.stderr.slice(-600)})`);
  const pid = Number(r.stdout.trim());
  t.ok(pid > 0, 'the private moto was started during the run');
  t.match(r.stderr, new RegExp(`stopping the aws peer this run started \\(pid ${pid}\\)`));
  t.notOk(isAlive(pid), 'its process is gone');
  t.notOk(await motoAnswers(port), 'its port no longer answers');
  t.notOk(fs.existsSync(path.join(root, '.peers', 'aws', 'server.pid')), 'its pid file is removed');
  t.ok(await motoAnswers(Number(new URL(PEERS.aws.endpoint).port)), 'the shared peer still answers');
});
