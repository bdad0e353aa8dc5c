// Fault injection on a private OpenBao server: killed before start-up, killed and restarted under a running
// service. Expected: exit 69 at start; refresh keeps the last good snapshot and logs; after recovery the service
// converges without a restart; no value anywhere in the output.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import t from 'tap';
import { ProviderRegistry } from '../../src/providers/ProviderRegistry';
import { ensurePeer, plantValue } from '../helpers/peers';
import { REQUIRED, runOnce, startService, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';
import { baoBinary } from '../providers/vault/vaultTestClient';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const TOKEN = 'vc-fault-root';

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

async function startBao(port: number): Promise<ChildProcess> {
  const child = spawn(baoBinary(), ['server', '-dev', `-dev-root-token-id=${TOKEN}`, `-dev-listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v1/sys/health`);
      if (r.status === 200) return child;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('bao did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function put(uri: string, name: string, value: string) {
  const client = await ProviderRegistry.withBuiltins().create(new URL(uri), { env: { VAULT_TOKEN: TOKEN } });
  try {
    await client.put(name, Buffer.from(value));
  } finally {
    await client.close();
  }
}

t.test('Faults: the Vault peer dies before start-up, and under a running service', async (t) => {
  ensurePeer('vault');
  const port = await freePort();
  const uri = `vault://127.0.0.1:${port}/secret/app?tls=0&retries=1&timeoutMs=500`;
  const dir = tmpdir(t);
  const schema = writeSchema(dir, { DB_PASSWORD: REQUIRED });
  const logFile = path.join(dir, 'ops.log');
  const env = { VAULT_TOKEN: TOKEN, SECRETS_SOURCE: uri, SECRETS_SCHEMA: schema, SECRETS_POLL_MS: '1000', SECRETS_LOG_DESTINATION: logFile };

  const down = await runOnce(t, env);
  t.equal(down.code, 69, 'peer down at start: exit 69');
  t.match(down.stderr, /refusing to start \(exit 69\)/);

  let bao = await startBao(port);
  t.teardown(() => bao.kill('SIGKILL'));
  const v1 = plantValue();
  await put(uri, 'DB_PASSWORD', v1);
  const s = startService(t, env);
  t.equal(((await s.waitFor((e) => e.event === 'started', 20_000)).state as Record<string, { sha256: string }>).DB_PASSWORD?.sha256, sha(v1));

  bao.kill('SIGKILL');
  await new Promise((r) => setTimeout(r, 3500));
  s.send({ op: 'state' });
  const during = await s.waitFor((e) => e.event === 'state');
  t.equal((during.state as Record<string, { sha256: string }>).DB_PASSWORD?.sha256, sha(v1), 'the last good value stays while the peer is down');
  t.notOk(s.events.some((e) => e.event === 'rejected' || e.event === 'rotated'), 'no event from a failed refresh');
  t.match(fs.readFileSync(logFile, 'utf8'), /provider refresh failed; the last good secrets stay in force/);

  bao = await startBao(port); // a dev server restarts empty: write the value again, as after a recovery
  const v2 = plantValue();
  await put(uri, 'DB_PASSWORD', v2);
  const rotated = await s.waitFor((e) => e.event === 'rotated', 15_000);
  t.equal((rotated.state as Record<string, { sha256: string }>).DB_PASSWORD?.sha256, sha(v2), 'converges after recovery without a restart');
  s.send({ op: 'exit' });
  await s.exited;
  const log = fs.readFileSync(logFile, 'utf8');
  for (const v of [v1, v2]) t.notOk(log.includes(v) || s.stdout().includes(v) || s.stderr().includes(v), 'no value in any output');
});
