/** How the provider authenticates to Vault / OpenBao. */
export type VaultAuthMethod = 'token' | 'approle' | 'kubernetes';

/** Where one credential is read from: an environment variable's name or a file's path. Never the credential. */
export type VaultCredentialRef = { env: string } | { file: string };

/**
 * The parsed, validated form of a `vault://` / `openbao://` source URI plus where its credentials live.
 * It holds no credential: only the names of environment variables and the paths of files to read them from,
 * so it is safe to log.
 *
 * @example
 * ```ts
 * const config = vaultProviderFactory.parse(new URL('vault://vault.internal:8200/secret/app'), process.env);
 * config.address; // 'https://vault.internal:8200'
 * ```
 */
export interface VaultProviderConfig {
  /** The URI scheme used (`vault` or `openbao`); both speak the same API. */
  scheme: string;
  /** Base address, `https://host:port` (or `http://` for a loopback dev server with `tls=0`). */
  address: string;
  /**
   * Every address of the cluster, `address` first, then each `node=` of the URI in order. The transport sends to
   * the last one that answered and moves to the next on an unavailable answer (see docs/providers/vault.md).
   */
  addresses: string[];
  /** The URI's host name (for messages). */
  host: string;
  /** Path of the KV v2 mount, e.g. `secret`. */
  mount: string;
  /** Path inside the mount under which logical names live, without leading or trailing `/`; may be empty. */
  prefix: string;
  /** The key of the KV v2 data map that holds our value (default `value`; binary goes to `<key>_b64`). */
  valueKey: string;
  auth: VaultAuthMethod;
  /** Path of the auth mount (default: the method's name, `approle` or `kubernetes`). Unused for `token`. */
  authMount: string;
  /** Vault role of the kubernetes auth method. */
  role?: string;
  /** Vault Enterprise / OpenBao namespace, sent as `X-Vault-Namespace` on every request. */
  namespace?: string;
  /** PEM file of extra CA certificates to trust (verification is never disabled). */
  caFile?: string;
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Attempts after the first on network errors, timeouts, 412, 429 and 5xx. */
  retries: number;
  /** Parallel requests of getMany and list. */
  concurrency: number;
  /** Where credentials are read from (at create() and again at each re-login). */
  credentials: {
    token?: VaultCredentialRef;
    roleId?: VaultCredentialRef;
    secretId?: VaultCredentialRef;
    /** The projected service-account token file (kubernetes auth). */
    jwtFile?: string;
  };
}
