import { SecretTooLargeError } from '../../errors/SecretTooLargeError';

/** Azure Key Vault stores a secret value as a string of at most 25k bytes; we count the stored UTF-8 bytes. */
const MAX_STORED_BYTES = 25_000;

/** Content type of a value stored as UTF-8 text. */
export const TEXT_CONTENT_TYPE = 'text/plain; charset=utf-8';
/** Content type of a value stored as base64 (bytes that are not plain UTF-8 text). */
export const BINARY_CONTENT_TYPE = 'application/octet-stream; base64';

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
// C0 controls other than tab, LF and CR: stored as base64 so the service never sees or trims them.
function hasControl(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return true;
  }
  return false;
}

/**
 * The string and content type under which `bytes` are stored in Azure Key Vault: valid UTF-8 text without
 * control characters (tab, CR, LF allowed) as is with `text/plain; charset=utf-8`; anything else as base64 with
 * `application/octet-stream; base64`. Throws SecretTooLargeError when the stored form exceeds 25,000 bytes
 * (so text up to 25,000 bytes, binary up to 18,750 bytes). The message names the secret, never the value.
 *
 * @example
 * ```ts
 * encodeAzureValue('DB_PASSWORD', Buffer.from('hunter2')); // { value: 'hunter2', contentType: 'text/plain; charset=utf-8' }
 * ```
 */
export function encodeAzureValue(name: string, bytes: Uint8Array): { value: string; contentType: string } {
  let text: string | undefined;
  try {
    text = utf8.decode(bytes);
  } catch {
    text = undefined;
  }
  const isText = text !== undefined && !hasControl(text);
  const value = isText ? text! : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  const stored = isText ? bytes.byteLength : value.length;
  if (stored > MAX_STORED_BYTES) {
    throw new SecretTooLargeError(
      `Secret "${name}" is too large for Azure Key Vault: ${bytes.byteLength} bytes ` +
        `(${isText ? 'text' : 'binary, stored as base64'}, ${stored} bytes stored; the limit is ${MAX_STORED_BYTES} stored bytes: 25,000 bytes of text or 18,750 bytes of binary). ` +
        'Store a smaller value, or keep large material elsewhere and put a reference in the secret.',
    );
  }
  return { value, contentType: isText ? TEXT_CONTENT_TYPE : BINARY_CONTENT_TYPE };
}
