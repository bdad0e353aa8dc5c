// Real local peers for provider tests. `ensurePeer` starts a peer through scripts/peers.sh (idempotent, locked)
// and fails loudly when it cannot: provider tests never skip silently.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

export type PeerName = 'aws' | 'vault' | 'azure';
/** Peers that are not secret providers of their own: the 3-node OpenBao raft cluster of the failover tests, and
 * the database whose credentials the rotation tests rotate. */
export type ExtraPeerName = 'vault-ha' | 'postgres';

/** Fixed loopback endpoints of the peers (scripts/peers/<name>.sh use the same). */
export const PEERS = {
  aws: { endpoint: 'http://127.0.0.1:5000', region: 'us-east-1' },
  vault: { address: 'http://127.0.0.1:8200', token: 'vc-dev-root-token' },
  // A 3-node OpenBao raft cluster (scripts/peers/vault-ha.sh); the token is a root token the script creates.
  'vault-ha': { addresses: ['http://127.0.0.1:8210', 'http://127.0.0.1:8220', 'http://127.0.0.1:8230'], token: 'vc-ha-root-token' },
  // Lowkey Vault (or the stand-in) accepts any bearer token: this one is passed as AZURE_KEYVAULT_STATIC_TOKEN.
  postgres: { host: '127.0.0.1', port: 55432, adminUser: 'vc_admin', adminPassword: 'vc-admin-password', database: 'postgres' },
  azure: { endpoint: 'https://127.0.0.1:8443', httpEndpoint: 'http://127.0.0.1:8080', caFile: join(__dirname, '..', '..', '.peers', 'azure', 'lowkey-ca.pem'), token: 'vc-local-emulator-token' },
} as const;

const started = new Set<PeerName | ExtraPeerName>();

export function ensurePeer(name: PeerName | ExtraPeerName): void {
  if (started.has(name)) return;
  const root = join(__dirname, '..', '..');
  try {
    execFileSync('bash', [join(root, 'scripts', 'peers.sh'), 'start', name], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], timeout: 300_000 });
  } catch (error) {
    const e = error as { stderr?: Buffer; stdout?: Buffer };
    throw new Error(`peer ${name} could not be started: ${e.stderr?.toString() ?? ''}${e.stdout?.toString() ?? ''}`);
  }
  started.add(name);
}

/** A fresh name prefix per test file so parallel test files never collide on a shared peer. */
export function uniquePrefix(label: string): string {
  return `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}/${label}`;
}

/** A random printable value to plant and search for in outputs. */
export function plantValue(bytes = 24): string {
  return 'PLANT' + randomBytes(bytes).toString('hex');
}
