import { UnsupportedOperationError } from '../errors/UnsupportedOperationError';
import type { AwsSecretsManagerClient } from '../providers/aws/AwsSecretsManagerClient';
import type { AzureKeyVaultClient } from '../providers/azure/AzureKeyVaultClient';
import type { ProviderClient } from '../providers/Provider';
import type { VaultKvClient } from '../providers/vault/VaultKvClient';
import { AwsRotationBackend } from './AwsRotationBackend';
import { AzureRotationBackend } from './AzureRotationBackend';
import type { RotationBackend } from './RotationBackend';
import { VaultRotationBackend } from './VaultRotationBackend';

/** Options of {@link rotationBackendFor}. */
export interface RotationBackendOptions {
  /** Azure: wait between staging and the concurrency check (ms). Default 1500; never below Azure's 1 s resolution. */
  azureSettleMs?: number;
}

const has = (client: ProviderClient, ...methods: string[]) => methods.every((m) => typeof (client as unknown as Record<string, unknown>)[m] === 'function');

/**
 * The rotation mapping of a provider client: AWS Secrets Manager, Vault/OpenBao KV v2 or Azure Key Vault.
 * Recognised by the methods rotation needs (so wrapped clients work too); anything else is refused with
 * UnsupportedOperationError.
 *
 * @example
 * ```ts
 * const backend = rotationBackendFor(await registry.create(new URL('aws://us-east-1/app/')));
 * ```
 */
export function rotationBackendFor(client: ProviderClient, options: RotationBackendOptions = {}): RotationBackend {
  if (client.scheme === 'aws' && has(client, 'describe', 'updateStage', 'tag', 'untag')) return new AwsRotationBackend(client as AwsSecretsManagerClient);
  if (has(client, 'readMetadata', 'patchMetadata', 'writeVersion')) return new VaultRotationBackend(client as VaultKvClient);
  if (client.scheme === 'azure' && has(client, 'listVersionProperties', 'putTagged', 'updateVersion')) {
    return new AzureRotationBackend(client as AzureKeyVaultClient, options.azureSettleMs !== undefined ? { settleMs: Math.max(1_100, options.azureSettleMs) } : {});
  }
  throw new UnsupportedOperationError(`Rotation is not supported for provider "${String(client.scheme).slice(0, 32)}": it needs AWS Secrets Manager, Vault/OpenBao KV v2 or Azure Key Vault.`);
}
