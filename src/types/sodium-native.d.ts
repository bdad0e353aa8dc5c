// The subset of sodium-native (4.x) this library uses. sodium-native ships no types.
declare module 'sodium-native' {
  export function sodium_malloc(size: number): Buffer & { secure: true };
  export function sodium_free(buf: Buffer): void;
  export function sodium_memzero(buf: Uint8Array): void;
  export function sodium_mlock(buf: Uint8Array): void;
  export function sodium_munlock(buf: Uint8Array): void;
  export function sodium_mprotect_noaccess(buf: Buffer): void;
  export function sodium_mprotect_readonly(buf: Buffer): void;
  export function sodium_mprotect_readwrite(buf: Buffer): void;
  export function sodium_memcmp(a: Uint8Array, b: Uint8Array): boolean;
  export function randombytes_buf(buf: Uint8Array): void;
  export function randombytes_uniform(upperBound: number): number;
  export const crypto_generichash_BYTES: number;
  export const crypto_generichash_KEYBYTES: number;
  export function crypto_generichash(out: Uint8Array, input: Uint8Array, key?: Uint8Array): void;
  export function crypto_generichash_batch(out: Uint8Array, inputs: Uint8Array[], key?: Uint8Array): void;
  export function crypto_hash_sha256(out: Uint8Array, input: Uint8Array): void;
}
