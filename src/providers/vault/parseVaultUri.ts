import { ConfigError } from '../../errors/ConfigError';
import { isSecretsError } from '../../errors/SecretsError';
import type { VaultAuthMethod, VaultCredentialRef, VaultProviderConfig } from './VaultProviderConfig';
import { validateVaultName } from './validateVaultName';

const DEFAULT_K8S_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';
const KNOWN_PARAMS = ['tls', 'allowInsecureHttp', 'auth', 'role', 'authMount', 'namespace', 'ca', 'timeoutMs', 'retries', 'concurrency', 'key', 'node'];
/** Parameters that may appear more than once. */
const REPEATABLE = new Set(['node']);
const MAX_NODES = 9;
const AUTH_METHODS: readonly VaultAuthMethod[] = ['token', 'approle', 'kubernetes'];

/**
 * Parse and validate a `vault://` or `openbao://` source URI:
 * `vault://<host>[:<port>]/<kv-mount>[/<path-prefix>][?tls=0|1&auth=token|approle|kubernetes&role=..&authMount=..
 * &namespace=..&ca=<pem file>&timeoutMs=..&retries=..&concurrency=..&key=..&allowInsecureHttp=1&node=<host:port>...]`.
 * Each `node=` adds another address of the same cluster (tried in order when the current one is unavailable).
 *
 * Rules: HTTPS unless `tls=0`, which is accepted only for a loopback host (`127.0.0.0/8`, `::1`, `localhost`)
 * unless `allowInsecureHttp=1` says the network below encrypts (a service mesh); credentials in the URI are
 * refused; unknown parameters are refused (a typo must not silently change behaviour). Credentials are located,
 * not read: `VAULT_TOKEN_FILE` or `VAULT_TOKEN`; `VAULT_ROLE_ID[_FILE]` and `VAULT_SECRET_ID[_FILE]`;
 * `VAULT_K8S_TOKEN_FILE` (default the projected service-account token).
 *
 * @example
 * ```ts
 * parseVaultUri(new URL('vault://127.0.0.1:8200/secret/app?tls=0'), { VAULT_TOKEN: 't' }).prefix; // 'app'
 * ```
 */
export function parseVaultUri(uri: URL, env: NodeJS.ProcessEnv): VaultProviderConfig {
  const scheme = uri.protocol.replace(/:$/, '').toLowerCase();
  const where = `${scheme}://${uri.host}`;
  if (uri.username || uri.password) {
    throw new ConfigError(
      `The ${scheme}: source URI must not carry credentials (user:password@). Remove them and set VAULT_TOKEN / VAULT_TOKEN_FILE, AppRole or Kubernetes auth instead.`,
    );
  }
  if (!uri.hostname) throw new ConfigError(`The ${scheme}: source URI has no host. Use ${scheme}://<host>:<port>/<kv-mount>/<prefix>.`);

  const params = uri.searchParams;
  for (const key of new Set(params.keys())) {
    if (!KNOWN_PARAMS.includes(key)) throw new ConfigError(`Unknown parameter "${key}" in the ${where} source URI. Known: ${KNOWN_PARAMS.join(', ')}.`);
    if (params.getAll(key).length > 1 && !REPEATABLE.has(key)) throw new ConfigError(`Parameter "${key}" appears more than once in the ${where} source URI.`);
  }

  // 1. Transport: https by default; plain http only where nobody else can listen.
  const tls = flag(params, 'tls', true, where);
  const allowInsecureHttp = flag(params, 'allowInsecureHttp', false, where);
  const host = uri.hostname;
  if (!tls && !isLoopback(host) && !allowInsecureHttp) {
    throw new ConfigError(
      `tls=0 is refused for the non-loopback host ${host}: tokens and secret values would cross the network in clear. Use https (the default), or add allowInsecureHttp=1 only when a service mesh encrypts the traffic.`,
    );
  }
  const caFile = params.get('ca') ?? undefined;
  if (caFile !== undefined && !tls) throw new ConfigError(`ca= has no effect with tls=0 in the ${where} source URI; remove one of them.`);
  if (caFile === '') throw new ConfigError(`ca= is empty in the ${where} source URI; give the path of a PEM file.`);
  const port = uri.port || '8200';
  const address = `${tls ? 'https' : 'http'}://${uri.hostname}:${port}`;
  const addresses = [address];
  const nodes = params.getAll('node');
  if (nodes.length > MAX_NODES - 1) throw new ConfigError(`The ${where} source URI lists ${nodes.length} node= parameters; at most ${MAX_NODES - 1} (${MAX_NODES} addresses in all).`);
  for (const node of nodes) {
    const other = nodeAddress(node, tls, allowInsecureHttp, where);
    if (addresses.includes(other)) throw new ConfigError(`node=${node.slice(0, 80)} repeats an address already in the ${where} source URI; list each node once.`);
    addresses.push(other);
  }

  // 2. Mount and prefix: the first path segment is the KV v2 mount, the rest the prefix of our names.
  const path = uri.pathname.replace(/^\/+/, '').replace(/\/+$/, '');
  const [mount, ...rest] = path.split('/');
  if (!mount) throw new ConfigError(`The ${where} source URI names no KV v2 mount. Use ${scheme}://<host>:<port>/<kv-mount>/<prefix>, e.g. /secret/app.`);
  const prefix = rest.join('/');
  pathMustBeSafe(mount, 'KV mount', where);
  if (prefix) pathMustBeSafe(prefix, 'path prefix', where);

  // 3. Auth method and where its credentials are.
  const authRaw = params.get('auth') ?? 'token';
  if (!AUTH_METHODS.includes(authRaw as VaultAuthMethod)) throw new ConfigError(`auth=${authRaw} is not supported in the ${where} source URI. Use one of: ${AUTH_METHODS.join(', ')}.`);
  const auth = authRaw as VaultAuthMethod;
  const role = params.get('role') ?? undefined;
  if (auth === 'kubernetes' && !role) throw new ConfigError(`auth=kubernetes needs role=<vault role> in the ${where} source URI.`);
  if (auth !== 'kubernetes' && role !== undefined) throw new ConfigError(`role= is only used with auth=kubernetes (AppRole reads VAULT_ROLE_ID); remove it from the ${where} source URI.`);
  if (auth === 'token' && params.has('authMount')) throw new ConfigError(`authMount= has no effect with auth=token in the ${where} source URI; remove it.`);
  const authMount = (params.get('authMount') ?? auth).replace(/^\/+/, '').replace(/\/+$/, '');
  pathMustBeSafe(authMount, 'auth mount', where);

  const credentials: VaultProviderConfig['credentials'] = {};
  if (auth === 'token') {
    const ref = oneOf(env, 'VAULT_TOKEN');
    if (!ref) throw new ConfigError(`auth=token needs VAULT_TOKEN_FILE (a file holding the token) or VAULT_TOKEN for the ${where} source.`);
    credentials.token = ref;
  } else if (auth === 'approle') {
    const roleId = oneOf(env, 'VAULT_ROLE_ID');
    if (!roleId) throw new ConfigError(`auth=approle needs VAULT_ROLE_ID or VAULT_ROLE_ID_FILE for the ${where} source.`);
    credentials.roleId = roleId;
    const secretId = oneOf(env, 'VAULT_SECRET_ID');
    if (secretId) credentials.secretId = secretId;
  } else {
    credentials.jwtFile = env.VAULT_K8S_TOKEN_FILE || DEFAULT_K8S_TOKEN_FILE;
  }

  const namespace = params.get('namespace') ?? undefined;
  if (namespace !== undefined) pathMustBeSafe(namespace.replace(/\/+$/, ''), 'namespace', where);
  const valueKey = params.get('key') ?? 'value';
  if (!/^[A-Za-z0-9_.-]{1,128}$/.test(valueKey)) throw new ConfigError(`key=${JSON.stringify(valueKey.slice(0, 40))} in the ${where} source URI must be 1-128 characters of [A-Za-z0-9_.-].`);

  return {
    scheme,
    address,
    addresses,
    host,
    mount,
    prefix,
    valueKey,
    auth,
    authMount,
    ...(role !== undefined ? { role } : {}),
    ...(namespace ? { namespace: namespace.replace(/\/+$/, '') } : {}),
    ...(caFile !== undefined ? { caFile } : {}),
    timeoutMs: int(params, 'timeoutMs', 5_000, 50, 120_000, where),
    retries: int(params, 'retries', 4, 0, 10, where),
    concurrency: int(params, 'concurrency', 16, 1, 128, where),
    credentials,
  };
}

/** `host[:port]` of another node of the cluster, under the same transport rules as the URI's own host. */
function nodeAddress(raw: string, tls: boolean, allowInsecureHttp: boolean, where: string): string {
  let url: URL | undefined;
  try {
    url = new URL(`http://${raw}`);
  } catch {
    url = undefined;
  }
  if (!raw || !url || url.username || url.password || url.pathname !== '/' || url.search || url.hash || `${url.host}` !== raw.toLowerCase().replace(/:80$/, '')) {
    throw new ConfigError(`node=${JSON.stringify(raw.slice(0, 80))} in the ${where} source URI must be host or host:port (another node of the same cluster), without scheme, path or credentials.`);
  }
  if (!tls && !isLoopback(url.hostname) && !allowInsecureHttp) {
    throw new ConfigError(
      `tls=0 is refused for the non-loopback node ${url.hostname}: tokens and secret values would cross the network in clear. Use https (the default), or add allowInsecureHttp=1 only when a service mesh encrypts the traffic.`,
    );
  }
  const port = /:\d+$/.test(raw) ? raw.slice(raw.lastIndexOf(':') + 1) : '8200';
  return `${tls ? 'https' : 'http'}://${url.hostname}:${port}`;
}

function flag(params: URLSearchParams, key: string, fallback: boolean, where: string): boolean {
  const raw = params.get(key);
  if (raw === null) return fallback;
  if (raw === '1' || raw === 'true') return true;
  if (raw === '0' || raw === 'false') return false;
  throw new ConfigError(`${key}=${JSON.stringify(raw.slice(0, 20))} in the ${where} source URI must be 0 or 1.`);
}

function int(params: URLSearchParams, key: string, fallback: number, min: number, max: number, where: string): number {
  const raw = params.get(key);
  if (raw === null) return fallback;
  const n = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new ConfigError(`${key}=${JSON.stringify(raw.slice(0, 20))} in the ${where} source URI must be an integer from ${min} to ${max}.`);
  return n;
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function pathMustBeSafe(path: string, what: string, where: string): void {
  try {
    validateVaultName(path);
  } catch (error) {
    if (!isSecretsError(error)) throw error;
    throw new ConfigError(`The ${what} "${path.slice(0, 80)}" in the ${where} source URI is not a safe path: use '/'-separated segments of [A-Za-z0-9_.-], without "." or "..".`);
  }
}

/** `<NAME>_FILE` or `<NAME>`, never both (which one wins would be a guess). */
function oneOf(env: NodeJS.ProcessEnv, name: string): VaultCredentialRef | undefined {
  const file = env[`${name}_FILE`];
  const direct = env[name];
  if (file && direct) throw new ConfigError(`Both ${name} and ${name}_FILE are set; set only one.`);
  if (file) return { file };
  if (direct) return { env: name };
  return undefined;
}
