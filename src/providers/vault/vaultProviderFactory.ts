import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type NodeVault from 'node-vault';
import { ConfigError } from '../../errors/ConfigError';
import { isSecretsError } from '../../errors/SecretsError';
import type { ProviderCapabilities, ProviderClient, ProviderDeps, ProviderFactory } from '../Provider';
import { parseVaultUri } from './parseVaultUri';
import { validateVaultName } from './validateVaultName';
import { VaultKvClient } from './VaultKvClient';
import { vaultLogin } from './vaultLogin';
import type { VaultProviderConfig } from './VaultProviderConfig';
import { VaultTokenSession } from './VaultTokenSession';
import { VaultTransport } from './VaultTransport';

const capabilities: ProviderCapabilities = { batch: false, write: true, delete: true, versions: true, list: true };
const noop = () => undefined;

/**
 * The HashiCorp Vault / OpenBao KV version 2 provider (`vault://` and `openbao://`).
 * `parse` validates the URI (see {@link parseVaultUri}); `create` loads node-vault, logs in, starts token renewal,
 * checks that the mount is KV v2 (when the token may look), and returns a {@link VaultKvClient}.
 *
 * node-vault is configured so that nothing from the environment overrides us: VAULT_SKIP_VERIFY cannot turn
 * off TLS verification, VAULT_NAMESPACE / VAULT_PREFIX / VAULT_TOKEN are not picked up behind our back, and its
 * `debug` logger (which prints request bodies, i.e. values, under DEBUG=node-vault) is replaced by a no-op.
 *
 * @example
 * ```ts
 * const config = vaultProviderFactory.parse(new URL('vault://vault.internal:8200/secret/app?auth=kubernetes&role=app'), process.env);
 * const client = await vaultProviderFactory.create(config);
 * ```
 */
export const vaultProviderFactory: ProviderFactory<VaultProviderConfig> = {
  schemes: ['vault', 'openbao'],
  capabilities,

  parse(uri: URL, env: NodeJS.ProcessEnv): VaultProviderConfig {
    return parseVaultUri(uri, env);
  },

  validateName(name: string, config: VaultProviderConfig): void {
    validateVaultName(name, config.prefix);
  },

  async create(config: VaultProviderConfig, deps: ProviderDeps = {}): Promise<ProviderClient> {
    const env = deps.env ?? process.env;
    const logger = deps.logger?.child({ provider: 'vault', address: config.address });
    const isHttps = config.address.startsWith('https:');

    // 1. Transport: our own keep-alive agent (with the extra CA, verification always on).
    let ca: Buffer | undefined;
    if (config.caFile) {
      try {
        ca = await readFile(config.caFile);
      } catch (error) {
        throw new ConfigError(`The CA file ${config.caFile} (ca= in the Vault source URI) could not be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
      }
    }
    const agentOptions = { keepAlive: true, maxSockets: config.concurrency };
    const agent = isHttps ? new HttpsAgent({ ...agentOptions, rejectUnauthorized: true, ...(ca ? { ca } : {}) }) : new HttpAgent(agentOptions);
    let createVault: typeof NodeVault;
    try {
       
      createVault = require('node-vault') as typeof NodeVault;
    } catch {
      throw new ConfigError('A vault:// or openbao:// source needs the node-vault package: npm install node-vault@0.12.');
    }
    // One node-vault client per address of the cluster (node-vault binds a client to one endpoint).
    const endpoints = (config.addresses ?? [config.address]).map((address) => {
      const vault = createVault({
        endpoint: address,
        apiVersion: 'v1',
        debug: noop,
        rpDefaults: { strictSSL: true },
      } as NodeVault.VaultOptions);
      // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE / VAULT_PREFIX: we pass token and namespace per request.
      const loose = vault as unknown as { token?: string; namespace?: string; pathPrefix: string };
      loose.token = undefined;
      loose.namespace = undefined;
      loose.pathPrefix = '';
      return { address, vault };
    });
    const transport = new VaultTransport({
      endpoints,
      ...(config.namespace ? { namespace: config.namespace } : {}),
      timeoutMs: config.timeoutMs,
      retries: config.retries,
      agent,
      isHttps,
      ...(logger ? { logger } : {}),
    });

    // 2. Log in (or look the token up) and keep the token alive.
    const session = new VaultTokenSession({
      transport,
      acquire: () => vaultLogin(config, transport, env),
      canReacquire: config.auth !== 'token' || (config.credentials.token !== undefined && 'file' in config.credentials.token),
      ...(logger ? { logger } : {}),
    });
    try {
      await session.start();
      // 3. Refuse a mount that is not KV v2 (writes to KV v1 would land at a literal "data/..." path).
      await checkMount(config, transport, session.token);
    } catch (error) {
      await session.close();
      transport.close();
      throw error;
    }
    return new VaultKvClient(config, transport, session, logger);
  },
};

async function checkMount(config: VaultProviderConfig, transport: VaultTransport, token: string): Promise<void> {
  let body: unknown;
  try {
    ({ body } = await transport.send({ method: 'GET', path: `/sys/internal/ui/mounts/${config.mount}`, token }, { operation: 'mount check' }));
  } catch (error) {
    // Not every policy may read mount info (403) and older servers lack the endpoint: the first KV call will tell.
    if (isSecretsError(error) && (error.code === 'E_PROVIDER_AUTH' || error.code === 'E_NOT_FOUND' || error.code === 'E_PROVIDER_RESPONSE')) return;
    throw error;
  }
  const data = (body as { data?: { type?: unknown; options?: { version?: unknown } | null } } | null)?.data;
  if (!data || typeof data.type !== 'string') return;
  if (data.type !== 'kv' || data.options?.version !== '2') {
    const kind = data.type === 'kv' ? `KV version ${String(data.options?.version ?? '1')}` : `a "${data.type}" engine`;
    throw new ConfigError(`The mount "${config.mount}" at ${config.address} is ${kind}, not KV version 2. Point the source URI at a KV v2 mount (vault secrets enable -version=2 kv).`);
  }
}
