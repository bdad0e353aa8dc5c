import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { BINARY_CONTENT_TYPE } from './encodeAzureValue';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The bytes of a stored Azure Key Vault value: base64-decoded when the content type says
 * `application/octet-stream; base64` (what {@link encodeAzureValue} writes for binary), otherwise the UTF-8 bytes
 * of the string (our text values and secrets written by other tools: portal, az CLI, Terraform).
 * Throws ProviderResponseError, naming the secret only, when a base64 value is malformed.
 *
 * @example
 * ```ts
 * decodeAzureValue('DB_PASSWORD', 'AAEC', 'application/octet-stream; base64'); // <Buffer 00 01 02>
 * ```
 */
export function decodeAzureValue(name: string, value: string, contentType: string | undefined): Buffer {
  if (normalise(contentType) === normalise(BINARY_CONTENT_TYPE)) {
    if (!BASE64.test(value)) {
      throw new ProviderResponseError(`Secret "${name}" is marked as base64 binary in Azure Key Vault but its value is not valid base64; rewrite the secret.`);
    }
    return Buffer.from(value, 'base64');
  }
  return Buffer.from(value, 'utf8');
}

function normalise(contentType: string | undefined): string {
  return (contentType ?? '').toLowerCase().replace(/\s+/g, '');
}
