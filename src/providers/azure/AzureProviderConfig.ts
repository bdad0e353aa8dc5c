/** Key Vault REST API versions the pinned SDK (@azure/keyvault-secrets 4.11) can speak. */
export type AzureServiceVersion = '7.4' | '7.5' | '7.6' | '2025-07-01';

/**
 * Parsed, validated settings of one `azure://` source. Holds no credential: the token comes from
 * DefaultAzureCredential, or for a loopback emulator from AZURE_KEYVAULT_STATIC_TOKEN at create time.
 *
 * @example
 * ```ts
 * const config = azureProviderFactory.parse(new URL('azure://myvault.vault.azure.net/app/prod/'), process.env);
 * config.vaultUrl; // 'https://myvault.vault.azure.net'
 * ```
 */
export interface AzureProviderConfig {
  /** `https://host[:port]`, lowercase host. */
  vaultUrl: string;
  /** Logical name prefix: `''` or `/`-separated segments ending in `/`. */
  prefix: string;
  /** Whether the host is loopback (localhost, *.localhost, 127.0.0.0/8, ::1): an emulator. */
  isLoopback: boolean;
  /** PEM file of extra trusted CAs (replaces the default CA list for this client). */
  caFile?: string;
  serviceVersion: AzureServiceVersion;
  /** `default` = DefaultAzureCredential; `static` = AZURE_KEYVAULT_STATIC_TOKEN (loopback emulators only). */
  credential: 'default' | 'static';
  /** Client id of a user-assigned managed identity / workload identity (not secret). */
  clientId?: string;
  tenantId?: string;
  /** Per-attempt timeout, ms. */
  timeoutMs: number;
  /** Attempts after the first. */
  retries: number;
  /** Overall budget of one operation across attempts, ms. */
  deadlineMs: number;
  /** Parallel reads in getMany. */
  concurrency: number;
}
