import { readFileSync } from 'node:fs';
import * as sodiumModule from 'sodium-native';
import { AuditWriteError } from '../errors/AuditWriteError';
import { ConfigError } from '../errors/ConfigError';
import { getLogger } from '../log/createLogger';

/** The part of sodium-native used here (the shared typings do not declare the streaming SHA-256 API). */
interface SodiumSha256 {
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buf: Uint8Array): void;
  randombytes_buf(buf: Uint8Array): void;
  crypto_hash_sha256(out: Uint8Array, input: Uint8Array): void;
  crypto_hash_sha256_init(state: Buffer): void;
  crypto_hash_sha256_update(state: Buffer, input: Uint8Array): void;
  crypto_hash_sha256_final(state: Buffer, out: Buffer): void;
  crypto_hash_sha256_STATEBYTES: number;
}
const sodium = sodiumModule as unknown as SodiumSha256;

/** Options of {@link AuditHmac}. Give `key` or `keyFile`; neither means a random per-process key (development). */
export interface AuditHmacOptions {
  /** The key, at least 32 bytes. Copied into locked memory: zero your copy afterwards (`key.fill(0)`). */
  key?: Uint8Array;
  /**
   * A file holding the key: hex text (at least 64 hex digits, surrounding whitespace ignored), or else raw bytes
   * (at least 32). E.g. `openssl rand -hex 32 > audit.key`, mounted from a Kubernetes Secret.
   */
  keyFile?: string;
  /**
   * Use a random key when none is given. Default: true unless NODE_ENV=production. References made with a random
   * key are not comparable across processes or restarts, and operators cannot compute them.
   */
  shouldAllowRandomKey?: boolean;
  /** Operational logger for the random-key warning. Default: the library's logger. */
  logger?: { warn(obj: object, msg: string): void };
}

const BLOCK = 64;
const PREFIX = 'hmac-sha256:';
const MAX_CACHED = 10_000;
const MAX_CACHED_LENGTH = 256;

/**
 * Keyed references for the audit trail: `hmac-sha256:<hex>` = HMAC-SHA256(key, UTF-8 of the input), the form
 * Vault's audit devices use. Secret names (and any clear field that fails its pattern) are recorded this way, so
 * the log reveals no names, yet an operator holding the key can compute the reference of a known name and search
 * for it (auditReference, or `printf %s NAME | openssl dgst -sha256 -mac HMAC -macopt hexkey:<key hex>`).
 *
 * The key never lives in the JS heap after construction: HMAC's inner and outer SHA-256 states (the key
 * schedule, as secret as the key) are kept in one sodium_malloc region (locked, guarded, excluded from core dumps)
 * and zeroed by close(). References are cached per input (bounded), so a hot name costs one Map lookup.
 *
 * @example
 * ```ts
 * const hmac = new AuditHmac({ keyFile: '/var/run/secrets/audit/key' });
 * hmac.reference('STRIPE_KEY'); // 'hmac-sha256:3f5a…'
 * hmac.close();
 * ```
 */
export class AuditHmac {
  /** Shortest accepted key, bytes. */
  static readonly MIN_KEY_BYTES = 32;

  /** True when the key is random per process (no key configured): references are not comparable elsewhere. */
  readonly isRandomKey: boolean;
  readonly #region: Buffer;
  readonly #inner: Buffer;
  readonly #outer: Buffer;
  readonly #state: Buffer;
  readonly #digest: Buffer;
  readonly #cache = new Map<string, string>();
  #isClosed = false;

  constructor(options: AuditHmacOptions = {}) {
    const stateBytes = sodium.crypto_hash_sha256_STATEBYTES;
    // One region for everything: each sodium_malloc costs guard pages and a locked page. The size is a multiple
    // of 16 because sodium_malloc aligns the end of the block, not its start.
    const stride = Math.ceil(stateBytes / 8) * 8;
    const size = Math.ceil((3 * stride + 32 + BLOCK) / 16) * 16;
    this.#region = sodium.sodium_malloc(size);
    this.#inner = this.#region.subarray(0, stateBytes);
    this.#outer = this.#region.subarray(stride, stride + stateBytes);
    this.#state = this.#region.subarray(2 * stride, 2 * stride + stateBytes);
    this.#digest = this.#region.subarray(3 * stride, 3 * stride + 32);
    const pad = this.#region.subarray(3 * stride + 32, 3 * stride + 32 + BLOCK);

    const given = [options.key !== undefined, options.keyFile !== undefined].filter(Boolean).length;
    if (given > 1) throw new ConfigError('Give the audit HMAC key either as key or as keyFile, not both.');
    const shouldAllowRandom = options.shouldAllowRandomKey ?? process.env.NODE_ENV !== 'production';
    if (given === 0 && !shouldAllowRandom) {
      sodium.sodium_memzero(this.#region);
      throw new ConfigError('No audit HMAC key is configured. In production give a key file (keyFile) of at least 32 random bytes, e.g. `openssl rand -hex 32`.');
    }
    this.isRandomKey = given === 0;

    // Step 1: get the key into locked memory (pad holds it; keys longer than a block are hashed first, RFC 2104).
    pad.fill(0);
    if (options.key !== undefined) this.#loadKey(options.key, pad);
    else if (options.keyFile !== undefined) this.#loadKeyFile(options.keyFile, pad);
    else sodium.randombytes_buf(pad.subarray(0, 32));
    // Step 2: absorb K xor ipad and K xor opad once; every reference resumes from copies of these states.
    for (let i = 0; i < BLOCK; i++) (pad[i] as number) ^= 0x36;
    sodium.crypto_hash_sha256_init(this.#inner);
    sodium.crypto_hash_sha256_update(this.#inner, pad);
    for (let i = 0; i < BLOCK; i++) (pad[i] as number) ^= 0x36 ^ 0x5c;
    sodium.crypto_hash_sha256_init(this.#outer);
    sodium.crypto_hash_sha256_update(this.#outer, pad);
    sodium.sodium_memzero(pad);

    if (this.isRandomKey) {
      (options.logger ?? getLogger()).warn(
        { audit: 'hmac' },
        'No audit HMAC key configured: using a random per-process key. Audit references are not comparable across processes or restarts.',
      );
    }
  }

  /** `hmac-sha256:<64 hex>` of `input` (UTF-8). */
  reference(input: string): string {
    const cached = this.#cache.get(input);
    if (cached !== undefined) return cached;
    if (this.#isClosed) throw new AuditWriteError('The audit HMAC key was closed; no audit reference can be computed. Create a new AuditHmac.');
    this.#inner.copy(this.#state);
    sodium.crypto_hash_sha256_update(this.#state, Buffer.from(input, 'utf8'));
    sodium.crypto_hash_sha256_final(this.#state, this.#digest);
    this.#outer.copy(this.#state);
    sodium.crypto_hash_sha256_update(this.#state, this.#digest);
    sodium.crypto_hash_sha256_final(this.#state, this.#digest);
    const ref = PREFIX + this.#digest.toString('hex');
    if (input.length <= MAX_CACHED_LENGTH) {
      if (this.#cache.size >= MAX_CACHED) this.#cache.clear();
      this.#cache.set(input, ref);
    }
    return ref;
  }

  /** Zero the key material. Later references throw. Idempotent. */
  close(): void {
    this.#isClosed = true;
    this.#cache.clear();
    sodium.sodium_memzero(this.#region);
  }

  #loadKey(key: Uint8Array, pad: Buffer): void {
    if (!(key instanceof Uint8Array) || key.length < AuditHmac.MIN_KEY_BYTES) {
      sodium.sodium_memzero(this.#region);
      throw new ConfigError(`The audit HMAC key must be at least ${AuditHmac.MIN_KEY_BYTES} bytes.`);
    }
    if (key.length > BLOCK) sodium.crypto_hash_sha256(pad.subarray(0, 32), key);
    else pad.set(key);
  }

  #loadKeyFile(path: string, pad: Buffer): void {
    let bytes: Buffer;
    try {
      bytes = readFileSync(path);
    } catch (error) {
      sodium.sodium_memzero(this.#region);
      throw new ConfigError(`Cannot read the audit HMAC key file ${path} (${(error as { code?: string }).code ?? 'error'}). Check the path and permissions.`);
    }
    let key = bytes;
    try {
      const text = bytes.toString('latin1').trim();
      if (/^(?:[0-9a-fA-F]{2}){32,}$/.test(text)) key = Buffer.from(text, 'hex');
      this.#loadKey(key, pad);
    } catch (error) {
      if (error instanceof ConfigError) throw new ConfigError(`The audit HMAC key file ${path} holds fewer than ${AuditHmac.MIN_KEY_BYTES} bytes (or 64 hex digits).`);
      throw error;
    } finally {
      sodium.sodium_memzero(bytes);
      if (key !== bytes) sodium.sodium_memzero(key);
    }
  }
}
