import type { Logger } from 'pino';
import type { SecretsError } from '../errors/SecretsError';

/**
 * One secret value as fetched from a backend.
 *
 * `value` is a transient copy in ordinary memory: the caller copies it into locked memory at once and zeroes it
 * (`value.fill(0)`). Adapters never keep a reference to it.
 */
export interface FetchedSecret {
  value: Buffer;
  /** The backend's version id (AWS VersionId, Vault version number as a string, Azure version id). */
  version: string;
  createdAt?: Date;
  /** Backend labels of this version, e.g. `AWSCURRENT`. Empty when the backend has none. */
  stages: string[];
}

/** Metadata of one version; never a value. */
export interface VersionInfo {
  version: string;
  createdAt?: Date;
  /** Backend labels (AWS stages, Vault custom metadata state, Azure tags). */
  stages: string[];
  /** Our normalised view of the version. */
  state: 'current' | 'previous' | 'pending' | 'retired' | 'deleted' | 'disabled' | 'other';
}

/** Result of a batch read: what was found and, per name, why the rest was not. */
export interface GetManyResult {
  found: Map<string, FetchedSecret>;
  errors: Map<string, SecretsError>;
}

/** Options of a read. */
export interface GetOptions {
  /** A backend version id; default the current version. */
  version?: string;
  signal?: AbortSignal;
}

/** Options of a write. */
export interface PutOptions {
  /** Idempotency token (AWS ClientRequestToken, 32-64 chars). Same token + same value is a no-op. */
  token?: string;
  /** Write without making the new version current (AWSPENDING, Vault/Azure pending mark). */
  pending?: boolean;
  /** Check-and-set: the write fails with ConflictError unless the current version is this one ('0': must not exist). */
  expectedVersion?: string;
  signal?: AbortSignal;
}

/** Options of a delete. */
export interface DeleteOptions {
  /** Delete only these versions (where the backend allows); default the whole secret. */
  versions?: string[];
  /** Remove for good (AWS ForceDeleteWithoutRecovery, Vault metadata delete, Azure purge). */
  permanent?: boolean;
}

/** What a backend can do. */
export interface ProviderCapabilities {
  batch: boolean;
  write: boolean;
  delete: boolean;
  versions: boolean;
  list: boolean;
}

/**
 * An authenticated client of one backend. Names passed in are logical names: `/`-separated segments of
 * `[A-Za-z0-9_.-]`; the adapter maps them to the backend's rules (prefix, encoding) and back.
 * Every method throws only {@link SecretsError} subclasses (SDK errors are sanitised and wrapped).
 *
 * @example
 * ```ts
 * const client = await registry.create(new URL('vault://127.0.0.1:8200/secret/app?tls=0'));
 * const { value, version } = await client.get('DB_PASSWORD');
 * ```
 */
export interface ProviderClient {
  readonly scheme: string;
  readonly capabilities: ProviderCapabilities;
  /** Read one secret (current version, or `options.version`). */
  get(name: string, options?: GetOptions): Promise<FetchedSecret>;
  /** Read many current secrets with as few calls as the backend allows; per-name failures in `errors`. */
  getMany(names: readonly string[], options?: { signal?: AbortSignal }): Promise<GetManyResult>;
  /** The current version id only, from metadata where the backend allows (a cheap change check). */
  currentVersion(name: string): Promise<string>;
  /** Write a new version. */
  put(name: string, value: Uint8Array, options?: PutOptions): Promise<{ version: string }>;
  /** Versions of one secret, newest first, without values. */
  listVersions(name: string): Promise<VersionInfo[]>;
  /** Logical names under a logical prefix (`a/b/` lists `a/b/x`, `a/b/y`), recursively. */
  list(prefix: string): Promise<string[]>;
  delete(name: string, options?: DeleteOptions): Promise<void>;
  /** Throws ProviderUnavailableError / ProviderAuthError when the backend cannot serve us. */
  health(): Promise<void>;
  close(): Promise<void>;
}

/** What a factory gets besides its config. */
export interface ProviderDeps {
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
}

/**
 * A stateless factory of one backend: parses and validates its URI, states its capabilities, makes clients.
 * Credentials never come from the URI; the factory reads them from the standard places of its backend.
 */
export interface ProviderFactory<TConfig = unknown> {
  /** URI schemes this factory serves, e.g. `['vault', 'openbao']`. */
  readonly schemes: readonly string[];
  readonly capabilities: ProviderCapabilities;
  /** Parse and validate; throws ConfigError naming the bad part. Never logs the URI's password part. */
  parse(uri: URL, env: NodeJS.ProcessEnv): TConfig;
  /** Throws InvalidSecretNameError when a logical name cannot be stored in this backend. */
  validateName(name: string, config: TConfig): void;
  create(config: TConfig, deps?: ProviderDeps): Promise<ProviderClient>;
}
