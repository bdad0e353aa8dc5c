const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The KV v2 data map that stores one value: `{ [key]: <string> }` when the bytes are valid UTF-8 (readable with
 * `vault kv get`), else `{ [key + '_b64']: <base64> }`. Either way the bytes round-trip exactly
 * (a BOM is kept, nothing is normalised). JSON transport needs a string copy of the value: it cannot be wiped.
 *
 * @example
 * ```ts
 * encodeKvValue(Buffer.from('s3cret'), 'value');     // { value: 's3cret' }
 * encodeKvValue(Buffer.from([0xff, 0x00]), 'value'); // { value_b64: '/wA=' }
 * ```
 */
export function encodeKvValue(bytes: Uint8Array, key: string): Record<string, string> {
  try {
    return { [key]: utf8.decode(bytes) };
  } catch {
    return { [`${key}_b64`]: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') };
  }
}
