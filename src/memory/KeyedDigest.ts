import { loadSodium } from './loadSodium';
type Sodium = typeof import('sodium-native');

/**
 * Content digests of secret values, keyed with a random per-process key held in locked memory, so a digest
 * tells whether two values are equal without being a dictionary-attackable hash of a (possibly weak) value.
 * Used to detect identical rewrites (no rotation) and as the opaque `version` of file and env values.
 *
 * @example
 * ```ts
 * const digest = new KeyedDigest();
 * digest.of(view); // 64 hex chars
 * ```
 */
export class KeyedDigest {
  readonly #sodium: Sodium;
  readonly #key: Buffer;
  readonly #out: Buffer;

  /**
   * @param keyMaterial Optional deployment key (at least 16 bytes): replicas given the same material compute the
   *   same digests, so versions compare across them; without it the key is random per process.
   */
  constructor(keyMaterial?: Uint8Array) {
    this.#sodium = loadSodium();
    this.#key = this.#sodium.sodium_malloc(this.#sodium.crypto_generichash_KEYBYTES);
    if (keyMaterial) {
      if (keyMaterial.length < 16) throw new RangeError('the digest key material must be at least 16 bytes');
      // Domain-separated, so the same material used elsewhere gives an unrelated key here.
      this.#sodium.crypto_generichash_batch(this.#key, [Buffer.from('vc-secrets version key\0'), keyMaterial]);
    } else this.#sodium.randombytes_buf(this.#key);
    this.#out = Buffer.alloc(32);
  }

  /** Hex digest of `bytes` (BLAKE2b-256, keyed). */
  of(bytes: Uint8Array): string {
    this.#sodium.crypto_generichash(this.#out, bytes, this.#key);
    return this.#out.toString('hex');
  }

  /** Zero the key (on exit). */
  zero(): void {
    this.#sodium.sodium_memzero(this.#key);
  }
}
