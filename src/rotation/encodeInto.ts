const B64 = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/', 'latin1');
const B64URL = Buffer.from('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 'latin1');
const HEX = Buffer.from('0123456789abcdef', 'latin1');

/** Text encodings of random bytes: `base64` (padded), `base64url` (no padding), `hex`. */
export type TextEncoding = 'base64' | 'base64url' | 'hex';

/** Length of `n` bytes in `encoding`. */
export function encodedLength(n: number, encoding: TextEncoding): number {
  if (encoding === 'hex') return 2 * n;
  if (encoding === 'base64') return 4 * Math.ceil(n / 3);
  return Math.ceil((4 * n) / 3);
}

/**
 * Encode `src` into `dst` byte by byte, so the text exists only in `dst` (locked memory), never as a JS string
 * or a temporary Buffer. `dst` must be exactly {@link encodedLength} bytes.
 *
 * @example
 * ```ts
 * encodeInto(raw.view, out.view, 'base64url');
 * ```
 */
export function encodeInto(src: Uint8Array, dst: Uint8Array, encoding: TextEncoding): void {
  if (dst.length !== encodedLength(src.length, encoding)) throw new RangeError('encodeInto: wrong output length');
  if (encoding === 'hex') {
    for (let i = 0; i < src.length; i++) {
      dst[2 * i] = HEX[src[i]! >> 4]!;
      dst[2 * i + 1] = HEX[src[i]! & 15]!;
    }
    return;
  }
  const table = encoding === 'base64' ? B64 : B64URL;
  let o = 0;
  let i = 0;
  for (; i + 2 < src.length; i += 3) {
    const a = src[i]!;
    const b = src[i + 1]!;
    const c = src[i + 2]!;
    dst[o++] = table[a >> 2]!;
    dst[o++] = table[((a & 3) << 4) | (b >> 4)]!;
    dst[o++] = table[((b & 15) << 2) | (c >> 6)]!;
    dst[o++] = table[c & 63]!;
  }
  const rest = src.length - i;
  if (rest === 0) return;
  const a = src[i]!;
  const b = rest === 2 ? src[i + 1]! : 0;
  dst[o++] = table[a >> 2]!;
  dst[o++] = table[((a & 3) << 4) | (b >> 4)]!;
  if (rest === 2) dst[o++] = table[(b & 15) << 2]!;
  if (encoding === 'base64') {
    while (o < dst.length) dst[o++] = 0x3d; // '='
  }
}
