// The 3-node OpenBao raft cluster of scripts/peers/vault-ha.sh: which node is active, killing one with SIGKILL,
// healing the cluster (restart and unseal) without blocking the event loop.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { join } from 'node:path';
import { PEERS } from './peers';
import { ROOT } from './service';

export const HA = PEERS['vault-ha'];
export type HaNode = 1 | 2 | 3;
export const HA_NODES: readonly HaNode[] = [1, 2, 3];

export const haAddress = (n: HaNode): string => HA.addresses[n - 1]!;

/** HTTP status of the node's sys/health: 200 active, 429 standby, 503 sealed, 0 no answer. */
export async function haHealth(n: HaNode): Promise<number> {
  try {
    const r = await fetch(`${haAddress(n)}/v1/sys/health`, { signal: AbortSignal.timeout(1_000) });
    await r.body?.cancel();
    return r.status;
  } catch {
    return 0;
  }
}

/** The active node, waiting (up to `ms`) for one to be elected; never `except`. */
export async function haActive(ms = 30_000, except?: HaNode): Promise<HaNode> {
  const deadline = Date.now() + ms;
  for (;;) {
    for (const n of HA_NODES) if (n !== except && (await haHealth(n)) === 200) return n;
    if (Date.now() > deadline) throw new Error(`no active node of the vault-ha cluster within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** SIGKILL the node's bao server (only when the pid file still names a bao process); resolves when it is gone. */
export async function haKill(n: HaNode): Promise<void> {
  const pid = Number(fs.readFileSync(join(ROOT, '.peers', 'vault-ha', `node${n}`, 'server.pid'), 'utf8').trim());
  if (!fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('bao')) throw new Error(`pid ${pid} of node${n} is not a bao server`);
  process.kill(pid, 'SIGKILL');
  while (fs.existsSync(`/proc/${pid}`) && !/^State:\s+Z/m.test(safeRead(`/proc/${pid}/status`))) await new Promise((r) => setTimeout(r, 10));
}

function safeRead(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

/** `scripts/peers.sh start vault-ha`: restarts and unseals any node that is down; resolves when all three vote. */
export function haHeal(): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('bash', [join(ROOT, 'scripts', 'peers.sh'), 'start', 'vault-ha'], { cwd: ROOT, timeout: 300_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`vault-ha start failed: ${stderr}${stdout}`)) : resolve(),
    );
  });
}

/**
 * A vault:// URI over the whole cluster, `first` as the URI's host and the two others as `node=` parameters.
 */
export function haUri(prefix: string, first: HaNode, query: Record<string, string> = {}): URL {
  const others = HA_NODES.filter((n) => n !== first);
  const uri = new URL(`vault://${haAddress(first).replace(/^http:\/\//, '')}/secret/${prefix}`);
  uri.searchParams.set('tls', '0');
  for (const n of others) uri.searchParams.append('node', haAddress(n).replace(/^http:\/\//, ''));
  for (const [k, v] of Object.entries(query)) uri.searchParams.set(k, v);
  return uri;
}
