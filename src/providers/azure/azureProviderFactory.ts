import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { SecretClientOptions } from '@azure/keyvault-secrets';
import type { TokenCredential } from '@azure/identity';
import { ConfigError } from '../../errors/ConfigError';
import type { ProviderCapabilities, ProviderClient, ProviderDeps, ProviderFactory } from '../Provider';
import { AzureKeyVaultClient } from './AzureKeyVaultClient';
import type { AzureProviderConfig, AzureServiceVersion } from './AzureProviderConfig';
import { azureSecretName } from './azureSecretName';
import { encodeAzureName } from './encodeAzureName';
import { isLogicalName } from './isLogicalName';
import { staticTokenCredential } from './staticTokenCredential';

/** Environment variable holding the bearer token of `credential=static` (loopback emulators only). */
const STATIC_TOKEN_ENV = 'AZURE_KEYVAULT_STATIC_TOKEN';
const SERVICE_VERSIONS: readonly AzureServiceVersion[] = ['7.4', '7.5', '7.6', '2025-07-01'];
const KNOWN_PARAMS = new Set(['ca', 'serviceVersion', 'timeoutMs', 'retries', 'deadlineMs', 'concurrency', 'credential', 'clientId', 'tenantId']);
const CAPABILITIES: ProviderCapabilities = { batch: false, write: true, delete: true, versions: true, list: true };

/**
 * The Azure Key Vault provider: `azure://<vault-host>[:port]/<name-prefix>?ca=..&serviceVersion=7.5&timeoutMs=..&retries=..`.
 *
 * - Credentials never come from the URI (a `user:password@` part is refused). In real use the client
 *   authenticates with DefaultAzureCredential (workload identity, managed identity, AZURE_* environment);
 *   `clientId`/`tenantId` pick a user-assigned identity. For a loopback emulator only, `credential=static` uses
 *   the token in AZURE_KEYVAULT_STATIC_TOKEN (refused for other hosts and under NODE_ENV=production).
 * - TLS: `ca=<pem file>` trusts a private CA (e.g. an emulator's self-signed certificate); verification stays on.
 * - Loopback hosts get `disableChallengeResourceVerification` (an emulator's challenge never names
 *   `*.vault.azure.net`); every other host keeps the SDK's check.
 * - `serviceVersion` pins the REST API version (default 7.5, which Lowkey Vault and Azure both serve).
 *
 * The SDKs are loaded with require() inside create(), so they cost nothing unless an azure:// source is used.
 *
 * @example
 * ```ts
 * const config = azureProviderFactory.parse(new URL('azure://myvault.vault.azure.net/app/prod/'), process.env);
 * const client = await azureProviderFactory.create(config);
 * const { value, version } = await client.get('DB_PASSWORD');
 * ```
 */
export const azureProviderFactory: ProviderFactory<AzureProviderConfig> = {
  schemes: ['azure'],
  capabilities: CAPABILITIES,

  parse(uri: URL, env: NodeJS.ProcessEnv): AzureProviderConfig {
    if (uri.protocol !== 'azure:') throw new ConfigError(`An azure source URI must start with azure://, got "${uri.protocol}".`);
    if (uri.username !== '' || uri.password !== '') {
      throw new ConfigError(
        'The azure:// URI must not contain credentials (user:password@). Authenticate with workload identity, a managed identity or AZURE_* variables (DefaultAzureCredential).',
      );
    }
    const hostname = uri.hostname.toLowerCase();
    if (hostname === '') throw new ConfigError('The azure:// URI needs the vault host, e.g. azure://myvault.vault.azure.net/app/.');
    if (!/^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)$/.test(hostname)) throw new ConfigError(`The azure:// URI has an invalid vault host "${hostname}".`);
    const isLoopback = isLoopbackHost(hostname);
    const vaultUrl = `https://${hostname}${uri.port ? `:${uri.port}` : ''}`;

    let path: string;
    try {
      path = decodeURIComponent(uri.pathname).replace(/^\/+/, '');
    } catch {
      throw new ConfigError('The azure:// URI path (the name prefix) is not valid percent-encoding.');
    }
    const prefix = path === '' ? '' : path.endsWith('/') ? path : path + '/';
    if (prefix !== '' && !isLogicalName(prefix.slice(0, -1))) {
      throw new ConfigError(`The azure:// name prefix "${prefix}" is invalid: use "/"-separated segments of letters, digits, "_", "." and "-".`);
    }
    if (encodeAzureName(prefix).length > 120) {
      throw new ConfigError(`The azure:// name prefix "${prefix}" is too long: it leaves no room for names within Azure's 127-character limit.`);
    }

    const q = uri.searchParams;
    for (const key of q.keys()) {
      if (!KNOWN_PARAMS.has(key)) throw new ConfigError(`Unknown azure:// URI parameter "${key}". Known: ${[...KNOWN_PARAMS].join(', ')}.`);
    }
    const serviceVersion = (q.get('serviceVersion') ?? '7.5') as AzureServiceVersion;
    if (!SERVICE_VERSIONS.includes(serviceVersion)) {
      throw new ConfigError(`azure:// serviceVersion "${serviceVersion}" is not supported; use one of ${SERVICE_VERSIONS.join(', ')}.`);
    }
    const credential = q.get('credential') ?? 'default';
    if (credential !== 'default' && credential !== 'static') {
      throw new ConfigError(`azure:// credential must be "default" (DefaultAzureCredential) or "static" (loopback emulators), not "${credential}".`);
    }
    if (credential === 'static') {
      if (!isLoopback) throw new ConfigError(`azure:// credential=static is allowed only for a loopback emulator, not for ${hostname}; use DefaultAzureCredential.`);
      if (env.NODE_ENV === 'production') throw new ConfigError('azure:// credential=static is refused under NODE_ENV=production.');
      if (!env[STATIC_TOKEN_ENV]) throw new ConfigError(`azure:// credential=static needs the token in ${STATIC_TOKEN_ENV}.`);
    }
    const ca = q.get('ca');
    const clientId = q.get('clientId');
    const tenantId = q.get('tenantId');
    for (const [key, value] of [['clientId', clientId], ['tenantId', tenantId]] as const) {
      if (value !== null && !/^[0-9a-zA-Z.-]{1,64}$/.test(value)) throw new ConfigError(`azure:// ${key} must be a GUID or domain name.`);
    }
    return {
      vaultUrl,
      prefix,
      isLoopback,
      ...(ca ? { caFile: resolve(ca) } : {}),
      serviceVersion,
      credential,
      ...(clientId ? { clientId } : {}),
      ...(tenantId ? { tenantId } : {}),
      timeoutMs: intParam(q, 'timeoutMs', 5_000, 1, 600_000),
      retries: intParam(q, 'retries', 4, 0, 20),
      deadlineMs: intParam(q, 'deadlineMs', 10_000, 1, 3_600_000),
      concurrency: intParam(q, 'concurrency', 16, 1, 64),
    };
  },

  validateName(name: string, config: AzureProviderConfig): void {
    azureSecretName(config.prefix, name);
  },

  async create(config: AzureProviderConfig, deps: ProviderDeps = {}): Promise<ProviderClient> {
    let ca: Buffer | undefined;
    if (config.caFile !== undefined) {
      try {
        ca = readFileSync(config.caFile);
      } catch (error) {
        throw new ConfigError(`azure:// ca file ${config.caFile} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
      }
      if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError(`azure:// ca file ${config.caFile} holds no PEM certificate.`);
    }
    let credential: TokenCredential;
    if (config.credential === 'static') {
      const token = (deps.env ?? process.env)[STATIC_TOKEN_ENV];
      if (!token) throw new ConfigError(`azure:// credential=static needs the token in ${STATIC_TOKEN_ENV}.`);
      credential = staticTokenCredential(token);
    } else {
      const identity = loadSdk<typeof import('@azure/identity')>('@azure/identity', '4.10');
      credential = new identity.DefaultAzureCredential({
        ...(config.clientId ? { managedIdentityClientId: config.clientId, workloadIdentityClientId: config.clientId } : {}),
        ...(config.tenantId ? { tenantId: config.tenantId } : {}),
      } as ConstructorParameters<typeof identity.DefaultAzureCredential>[0]);
    }
    const { SecretClient } = loadSdk<typeof import('@azure/keyvault-secrets')>('@azure/keyvault-secrets', '4.11');
    const options: SecretClientOptions = {
      serviceVersion: config.serviceVersion,
      disableChallengeResourceVerification: config.isLoopback,
      // withRetry is the one retry policy: the SDK must not retry underneath it.
      retryOptions: { maxRetries: 0 },
      userAgentOptions: { userAgentPrefix: 'valuecanvas-secrets' },
      ...(ca ? { tlsOptions: { ca } } : {}),
    };
    const client = new SecretClient(config.vaultUrl, credential, options);
    return new AzureKeyVaultClient(client, config, deps.logger);
  },
};

/** Load an optional peer SDK on first use, so that processes without an azure:// source never load it. */
function loadSdk<T>(name: string, version: string): T {
  try {
    return require(name) as T;
  } catch (error) {
    throw new ConfigError(`The azure:// source needs the package ${name}: install it (npm install ${name}@${version}).`, {
      cause: error instanceof Error ? new Error(error.message.split('\n')[0]) : undefined,
    });
  }
}

function isLoopbackHost(hostname: string): boolean {
  return hostname === 'localhost' || hostname.endsWith('.localhost') || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname) || hostname === '[::1]';
}

function intParam(q: URLSearchParams, key: string, fallback: number, min: number, max: number): number {
  const raw = q.get(key);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw new ConfigError(`azure:// ${key} must be an integer from ${min} to ${max}, got "${raw}".`);
  return Number(raw);
}
