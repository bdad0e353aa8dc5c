import { loadSodium } from '../memory/loadSodium';

type Sodium = typeof import('sodium-native');
let key: Buffer | undefined;

/**
 * Whether two values are byte for byte equal, decided by comparing keyed BLAKE2b-256 digests in constant time
 * (`sodium_memcmp`), never by comparing values or strings. The key is random per process and lives in locked
 * memory, so a digest says nothing about a value outside this process.
 *
 * @example
 * ```ts
 * sameBytes(candidate.view, readBack.value); // true when the backend stored exactly what was generated
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  const sodium = loadSodium();
  key ??= newKey(sodium);
  const da = Buffer.alloc(32);
  const db = Buffer.alloc(32);
  sodium.crypto_generichash(da, a, key);
  sodium.crypto_generichash(db, b, key);
  return sodium.sodium_memcmp(da, db) && a.length === b.length;
}

function newKey(sodium: Sodium): Buffer {
  const k = sodium.sodium_malloc(sodium.crypto_generichash_KEYBYTES);
  sodium.randombytes_buf(k);
  return k;
}
