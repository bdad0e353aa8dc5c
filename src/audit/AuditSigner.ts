import { readFileSync } from 'node:fs';
import * as sodiumModule from 'sodium-native';
import { ConfigError } from '../errors/ConfigError';

/** The part of sodium-native used for Ed25519. */
interface SodiumSign {
  sodium_malloc(size: number): Buffer;
  sodium_memzero(buf: Uint8Array): void;
  crypto_sign_keypair(pk: Uint8Array, sk: Uint8Array): void;
  crypto_sign_seed_keypair(pk: Uint8Array, sk: Uint8Array, seed: Uint8Array): void;
  crypto_sign_detached(sig: Uint8Array, message: Uint8Array, sk: Uint8Array): void;
  crypto_sign_verify_detached(sig: Uint8Array, message: Uint8Array, pk: Uint8Array): boolean;
}
const sodium = sodiumModule as unknown as SodiumSign;

const SEED_BYTES = 32;
const SECRET_KEY_BYTES = 64;
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** Where the audit signing key comes from: bytes (e.g. lent by `secrets.use`) or a file. */
export interface AuditSigningKeyOptions {
  /** A 32-byte Ed25519 seed or a 64-byte libsodium secret key. Copied into locked memory: zero your copy afterwards. */
  key?: Uint8Array;
  /** A file holding the key as hex (64 or 128 digits, surrounding whitespace ignored) or raw 32/64 bytes, as written by `vc-secrets audit keygen`. */
  keyFile?: string;
}

/**
 * Ed25519 signer of audit checkpoints (libsodium `crypto_sign`). The secret key lives in one sodium_malloc region
 * (locked, guarded, excluded from core dumps), zeroed by close(); the public key is {@link AuditSigner.publicKeyHex}.
 *
 * @example
 * ```ts
 * const signer = new AuditSigner({ keyFile: '/var/run/secrets/audit/signing.key' });
 * signer.publicKeyHex; // publish this: verifiers need only the public key
 * ```
 */
export class AuditSigner {
  /** Hex of the 32-byte public key. */
  readonly publicKeyHex: string;
  readonly #secretKey: Buffer;
  #isClosed = false;

  constructor(options: AuditSigningKeyOptions) {
    if ((options.key === undefined) === (options.keyFile === undefined)) {
      throw new ConfigError('Give the audit signing key either as key or as keyFile (one of them). Create one with `vc-secrets audit keygen`.');
    }
    this.#secretKey = sodium.sodium_malloc(SECRET_KEY_BYTES);
    const publicKey = Buffer.alloc(PUBLIC_KEY_BYTES);
    let bytes: Uint8Array | undefined = options.key;
    let owned: Buffer[] = [];
    try {
      if (options.keyFile !== undefined) {
        const raw = readKeyFile(options.keyFile);
        owned = [raw];
        const text = raw.toString('latin1').trim();
        if (/^(?:[0-9a-fA-F]{64}|[0-9a-fA-F]{128})$/.test(text)) {
          bytes = Buffer.from(text, 'hex');
          owned.push(bytes as Buffer);
        } else bytes = raw;
      }
      if (!(bytes instanceof Uint8Array) || (bytes.length !== SEED_BYTES && bytes.length !== SECRET_KEY_BYTES)) {
        throw new ConfigError(`The audit signing key${options.keyFile === undefined ? '' : ` in ${options.keyFile}`} must be a 32-byte Ed25519 seed or a 64-byte secret key (hex or raw). Create one with \`vc-secrets audit keygen\`.`);
      }
      sodium.crypto_sign_seed_keypair(publicKey, this.#secretKey, bytes.subarray(0, SEED_BYTES));
      if (bytes.length === SECRET_KEY_BYTES && !publicKey.equals(bytes.subarray(SEED_BYTES))) {
        throw new ConfigError('The 64-byte audit signing key is inconsistent (its public half does not match its seed). Use the file written by `vc-secrets audit keygen`.');
      }
    } catch (error) {
      sodium.sodium_memzero(this.#secretKey);
      throw error;
    } finally {
      for (const b of owned) sodium.sodium_memzero(b);
    }
    this.publicKeyHex = publicKey.toString('hex');
  }

  /** Hex of the 64-byte signature of `message`. */
  signHex(message: string): string {
    if (this.#isClosed) throw new ConfigError('The audit signing key was closed; create a new AuditSigner.');
    const sig = Buffer.alloc(SIGNATURE_BYTES);
    sodium.crypto_sign_detached(sig, Buffer.from(message, 'utf8'), this.#secretKey);
    return sig.toString('hex');
  }

  /** Zero the secret key. Later signatures throw. Idempotent. */
  close(): void {
    this.#isClosed = true;
    sodium.sodium_memzero(this.#secretKey);
  }
}

function readKeyFile(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new ConfigError(`Cannot read the audit signing key file ${path} (${(error as { code?: string }).code ?? 'error'}). Check the path and permissions.`);
  }
}

/** Whether `sigHex` is a valid Ed25519 signature of `message` under one of `publicKeys` (32 bytes each). */
export function verifyAuditSignature(message: string, sigHex: string, publicKeys: readonly Uint8Array[]): boolean {
  if (!/^[0-9a-f]{128}$/.test(sigHex)) return false;
  const sig = Buffer.from(sigHex, 'hex');
  const bytes = Buffer.from(message, 'utf8');
  return publicKeys.some((pk) => pk.length === PUBLIC_KEY_BYTES && sodium.crypto_sign_verify_detached(sig, bytes, pk));
}

/**
 * A new Ed25519 key pair for audit checkpoints, as hex: `secretKey` is the 32-byte seed (keep it where only the
 * service can read it), `publicKey` the 32 bytes verifiers need.
 *
 * @example
 * ```ts
 * const { publicKey, secretKey } = generateAuditKeyPair();
 * ```
 */
export function generateAuditKeyPair(): { publicKey: string; secretKey: string } {
  const pk = Buffer.alloc(PUBLIC_KEY_BYTES);
  const sk = sodium.sodium_malloc(SECRET_KEY_BYTES);
  try {
    sodium.crypto_sign_keypair(pk, sk);
    return { publicKey: pk.toString('hex'), secretKey: sk.subarray(0, SEED_BYTES).toString('hex') };
  } finally {
    sodium.sodium_memzero(sk);
  }
}

/**
 * Reads a public key: 64 hex digits, or a file holding them (or the 32 raw bytes).
 *
 * @example
 * ```ts
 * const pk = readAuditPublicKey('/etc/audit/signing.pub');
 * ```
 */
export function readAuditPublicKey(hexOrFile: string): Uint8Array {
  if (/^[0-9a-fA-F]{64}$/.test(hexOrFile)) return Buffer.from(hexOrFile, 'hex');
  let raw: Buffer;
  try {
    raw = readFileSync(hexOrFile);
  } catch (error) {
    throw new ConfigError(`Cannot read the audit public key ${hexOrFile} (${(error as { code?: string }).code ?? 'error'}). Give 64 hex digits or a file written by \`vc-secrets audit keygen\`.`);
  }
  const text = raw.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (raw.length === PUBLIC_KEY_BYTES) return raw;
  throw new ConfigError(`The audit public key ${hexOrFile} is not 32 bytes (64 hex digits). Use the .pub file written by \`vc-secrets audit keygen\`.`);
}
