/**
 * One version of an Azure Key Vault secret as listed (`listPropertiesOfSecretVersions`), never a value.
 *
 * @example
 * ```ts
 * const [newest] = await client.listVersionProperties('DB_PASSWORD');
 * newest?.tags['vc-state']; // 'pending' while a rotation stages it
 * ```
 */
export interface AzureVersionProperties {
  version: string;
  /** Azure's `createdOn` (one-second resolution). */
  createdAt?: Date;
  updatedAt?: Date;
  enabled: boolean;
  /** The version's tags (a copy). */
  tags: Record<string, string>;
}
