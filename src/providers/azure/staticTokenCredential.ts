import type { TokenCredential } from '@azure/identity';

/**
 * A credential that always hands out the same bearer token: only for a local Key Vault emulator (Lowkey Vault
 * accepts any token). The factory allows it only for loopback hosts, outside production, and only when the URI
 * says `credential=static`; the token itself comes from AZURE_KEYVAULT_STATIC_TOKEN, never from the URI.
 *
 * @example
 * ```ts
 * const credential = staticTokenCredential(process.env.AZURE_KEYVAULT_STATIC_TOKEN!);
 * ```
 */
export function staticTokenCredential(token: string): TokenCredential {
  return {
    getToken: async () => ({ token, expiresOnTimestamp: Date.now() + 3_600_000, tokenType: 'Bearer' }),
  };
}
