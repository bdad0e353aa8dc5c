import { ProviderResponseError } from '../../errors/ProviderResponseError';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Bytes of a value stored by {@link encodeKvValue}: `data[key]` (a UTF-8 string) or `data[key + '_b64']` (base64).
 * Anything else is a {@link ProviderResponseError} that names the keys found (key names, never values).
 *
 * @example
 * ```ts
 * decodeKvValue({ value_b64: '/wA=' }, 'value', 'BIN'); // <Buffer ff 00>
 * ```
 */
export function decodeKvValue(data: unknown, key: string, name: string): Buffer {
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ProviderResponseError(`Vault returned no data map for "${name}". Check that the mount is a KV version 2 engine.`);
  }
  const map = data as Record<string, unknown>;
  const text = map[key];
  if (typeof text === 'string') return Buffer.from(text, 'utf8');
  const b64 = map[`${key}_b64`];
  if (typeof b64 === 'string' && BASE64.test(b64)) return Buffer.from(b64, 'base64');
  const keys = Object.keys(map)
    .slice(0, 8)
    .map((k) => JSON.stringify(k.slice(0, 40)))
    .join(', ');
  throw new ProviderResponseError(
    `Secret "${name}" in Vault is not in this library's layout: expected a string under "${key}" (UTF-8) or "${key}_b64" (base64), found keys [${keys}]. Write it with this library, or set key=<data key> in the source URI.`,
  );
}
