import { InvalidSecretNameError } from '../../errors/InvalidSecretNameError';
import { encodeAzureName } from './encodeAzureName';
import { isLogicalName } from './isLogicalName';

/** Azure Key Vault's limit on a secret name. */
const MAX_AZURE_NAME = 127;

/**
 * The Azure Key Vault secret name of logical `name` under `prefix` (`''` or ending in `/`): validates the
 * logical name, encodes `<prefix><name>` with {@link encodeAzureName} and checks Azure's 127-character limit.
 * Throws InvalidSecretNameError before any call when the name cannot be stored.
 *
 * @example
 * ```ts
 * azureSecretName('app/', 'DB_PASSWORD'); // 'app---3db-0password'
 * ```
 */
export function azureSecretName(prefix: string, name: string): string {
  if (typeof name !== 'string' || !isLogicalName(name)) {
    throw new InvalidSecretNameError(
      `Invalid secret name ${JSON.stringify(String(name).slice(0, 140))}: use "/"-separated segments of letters, digits, "_", "." and "-" (no empty, "." or ".." segment).`,
    );
  }
  const encoded = encodeAzureName(prefix + name);
  if (encoded.length > MAX_AZURE_NAME) {
    throw new InvalidSecretNameError(
      `Secret name "${name}" is too long for Azure Key Vault: with the prefix "${prefix}" it encodes to ${encoded.length} characters, the limit is ${MAX_AZURE_NAME}. ` +
        'Use a shorter name or prefix; "/", "_", ".", "-", a lone uppercase letter and each switch between upper and lower case take two characters each (see docs/providers/azure.md).',
    );
  }
  return encoded;
}
