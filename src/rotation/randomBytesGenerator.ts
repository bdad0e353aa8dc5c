import { loadSodium } from '../memory/loadSodium';
import { encodedLength, encodeInto, type TextEncoding } from './encodeInto';
import type { RotationGenerator } from './RotationGenerator';

/** Options of {@link randomBytesGenerator}. */
export interface RandomBytesGeneratorOptions {
  /** Random bytes, 1-4096. Default 32 (256 bits). */
  bytes?: number;
  /** How the stored value spells them: `base64` (default), `base64url`, `hex`, or `raw` bytes. */
  encoding?: TextEncoding | 'raw';
}

/**
 * A generator of `bytes` random bytes from libsodium's CSPRNG, written into locked memory and encoded there
 * (the text never exists as a JS string).
 *
 * @example
 * ```ts
 * await rotator.rotate('tenants/acme/API_KEY', { generator: randomBytesGenerator({ bytes: 32, encoding: 'base64url' }) });
 * ```
 */
export function randomBytesGenerator(options: RandomBytesGeneratorOptions = {}): RotationGenerator {
  const bytes = options.bytes ?? 32;
  const encoding = options.encoding ?? 'base64';
  if (!Number.isInteger(bytes) || bytes < 1 || bytes > 4096) throw new RangeError('randomBytesGenerator: bytes must be an integer from 1 to 4096');
  if (!['base64', 'base64url', 'hex', 'raw'].includes(encoding)) throw new RangeError('randomBytesGenerator: encoding must be base64, base64url, hex or raw');
  const sodium = loadSodium();
  return (alloc) => {
    const raw = alloc(bytes);
    sodium.randombytes_buf(raw.view);
    if (encoding === 'raw') return raw;
    try {
      const out = alloc(encodedLength(bytes, encoding));
      encodeInto(raw.view, out.view, encoding);
      return out;
    } finally {
      raw.free();
    }
  };
}
