import { ConflictError } from '../errors/ConflictError';
import { ConfigError } from '../errors/ConfigError';
import { InvalidSecretNameError } from '../errors/InvalidSecretNameError';
import { ProviderUnavailableError } from '../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../errors/SecretNotFoundError';
import { SecretTooLargeError } from '../errors/SecretTooLargeError';
import type { DeleteOptions, FetchedSecret, GetManyResult, GetOptions, ProviderCapabilities, ProviderClient, PutOptions, VersionInfo } from '../providers/Provider';
import type { SecretsError } from '../errors/SecretsError';

/** The methods of a ProviderClient, as counted by {@link InMemoryProvider.callCount}. */
export type ProviderMethod = 'get' | 'getMany' | 'currentVersion' | 'put' | 'listVersions' | 'list' | 'delete' | 'health' | 'close';

/** One call, as seen by {@link InMemoryProviderOptions.beforeCall}. Never holds a value. */
export interface InMemoryCall {
  method: ProviderMethod;
  /** The logical name (or list prefix) asked for, without the provider's prefix. */
  name?: string;
}

/** Options of {@link InMemoryProvider}. */
export interface InMemoryProviderOptions {
  /** The scheme it reports (audit events name it). Default `memory`. */
  scheme?: string;
  /** A logical prefix in front of every name, like the path of a real provider's URI. Default `''`. */
  prefix?: string;
  /**
   * Called before every valid call reaches the store: throw (or reject) to inject a failure, await to add latency.
   * Tests use it to simulate an unavailable backend.
   */
  beforeCall?: (call: InMemoryCall) => void | Promise<void>;
  /** Longest full name (prefix included), characters. Default 1,024. */
  maxNameLength?: number;
  /** Largest value, bytes. Default 65,536. */
  maxValueBytes?: number;
}

interface StoredVersion {
  readonly id: string;
  /** undefined once the version is deleted (its bytes were zeroed). */
  value: Buffer | undefined;
  readonly createdAt: Date;
  isPending: boolean;
  readonly token: string | undefined;
}

interface StoredSecret {
  /** Oldest first. */
  readonly versions: StoredVersion[];
  current: string | undefined;
  nextId: number;
}

const SEGMENT = /^[A-Za-z0-9_.-]+$/;
const LIST_PREFIX = /^[A-Za-z0-9_.\-/]*$/;
const CAPABILITIES: ProviderCapabilities = Object.freeze({ batch: true, write: true, delete: true, versions: true, list: true });
const METHODS: readonly ProviderMethod[] = ['get', 'getMany', 'currentVersion', 'put', 'listVersions', 'list', 'delete', 'health', 'close'];

function isLogical(name: string): boolean {
  return name.length > 0 && name.split('/').every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
}

/**
 * A ProviderClient that keeps secrets in process memory, for tests and local development only: values sit in
 * ordinary (unlocked) buffers and vanish with the process. It implements the whole provider contract (the shared
 * contract suite runs against it): versions with current / previous / pending / deleted states, check-and-set,
 * idempotency tokens, recursive listing, deleting versions or whole secrets, and closing. Every value handed out
 * is a fresh copy (the caller zeroes it); stored copies are zeroed when deleted or on close().
 *
 * It counts every call (`callCount`), made before any validation, so a test can prove that a refused request never
 * reached the provider, and `beforeCall` injects failures or latency.
 *
 * @example
 * ```ts
 * const provider = new InMemoryProvider();
 * await provider.put('prod/tenants/acme/STRIPE_KEY', Buffer.from('sk_test_...'));
 * const service = createSecretsService({ providers: provider, policy, audit, environment: 'prod' });
 * provider.callCount('get'); // provider reads so far
 * ```
 */
export class InMemoryProvider implements ProviderClient {
  readonly scheme: string;
  readonly capabilities: ProviderCapabilities = CAPABILITIES;
  readonly #prefix: string;
  readonly #beforeCall: InMemoryProviderOptions['beforeCall'];
  readonly #maxNameLength: number;
  readonly #maxValueBytes: number;
  readonly #secrets = new Map<string, StoredSecret>();
  readonly #calls = new Map<ProviderMethod, number>(METHODS.map((m) => [m, 0]));
  #isClosed = false;

  constructor(options: InMemoryProviderOptions = {}) {
    this.scheme = options.scheme ?? 'memory';
    if (!/^[a-z][a-z0-9+.-]{0,31}$/.test(this.scheme)) throw new ConfigError('InMemoryProvider: scheme must be 1-32 characters of a-z 0-9 + . - starting with a letter.');
    const prefix = options.prefix ?? '';
    if (prefix !== '' && !(prefix.endsWith('/') && isLogical(prefix.slice(0, -1)))) {
      throw new ConfigError('InMemoryProvider: prefix must be "" or logical segments ending in "/", e.g. "app/".');
    }
    this.#prefix = prefix;
    this.#beforeCall = options.beforeCall;
    this.#maxNameLength = options.maxNameLength ?? 1024;
    this.#maxValueBytes = options.maxValueBytes ?? 64 * 1024;
  }

  /** Calls of one method so far (all methods when omitted), valid or not. */
  callCount(method?: ProviderMethod): number {
    if (method !== undefined) return this.#calls.get(method) ?? 0;
    let total = 0;
    for (const n of this.#calls.values()) total += n;
    return total;
  }

  /** Set every call counter back to 0. */
  resetCallCounts(): void {
    for (const m of METHODS) this.#calls.set(m, 0);
  }

  /** Number of secrets held (each with at least one version). */
  get size(): number {
    return this.#secrets.size;
  }

  async get(name: string, options: GetOptions = {}): Promise<FetchedSecret> {
    const full = await this.#enter('get', name, options.signal);
    const v = this.#version(full, options.version);
    return { value: copyOf(v.value as Buffer), version: v.id, createdAt: new Date(v.createdAt), stages: [this.#stateOf(this.#secrets.get(full) as StoredSecret, v)] };
  }

  async getMany(names: readonly string[], options: { signal?: AbortSignal } = {}): Promise<GetManyResult> {
    this.#count('getMany');
    this.#checkOpen(options.signal);
    if (this.#beforeCall !== undefined) await this.#beforeCall({ method: 'getMany' });
    const found = new Map<string, FetchedSecret>();
    const errors = new Map<string, SecretsError>();
    for (const name of names) {
      try {
        const full = this.#full(name);
        const v = this.#version(full, undefined);
        found.set(name, { value: copyOf(v.value as Buffer), version: v.id, createdAt: new Date(v.createdAt), stages: ['current'] });
      } catch (error) {
        errors.set(name, error as SecretsError);
      }
    }
    return { found, errors };
  }

  async currentVersion(name: string): Promise<string> {
    const full = await this.#enter('currentVersion', name);
    return this.#version(full, undefined).id;
  }

  async put(name: string, value: Uint8Array, options: PutOptions = {}): Promise<{ version: string }> {
    const full = await this.#enter('put', name, options.signal);
    if (!(value instanceof Uint8Array)) throw new TypeError('InMemoryProvider.put: value must be a Buffer or Uint8Array.');
    if (value.length > this.#maxValueBytes) throw new SecretTooLargeError(`The value is larger than ${this.#maxValueBytes} bytes, the limit of this in-memory provider.`);
    let secret = this.#secrets.get(full);
    if (options.expectedVersion !== undefined) {
      const current = secret?.current ?? '0';
      if (current !== options.expectedVersion) throw new ConflictError('The secret changed: its current version is not the expected one. Read it again and retry.');
    }
    if (options.token !== undefined && secret !== undefined) {
      const same = secret.versions.find((v) => v.token === options.token);
      if (same !== undefined) {
        if (same.value !== undefined && same.value.equals(value)) return { version: same.id };
        throw new ConflictError('The idempotency token was used already with another value. Use a new token for a new value.');
      }
    }
    if (secret === undefined) {
      secret = { versions: [], current: undefined, nextId: 1 };
      this.#secrets.set(full, secret);
    }
    const id = String(secret.nextId++);
    secret.versions.push({ id, value: copyOf(value), createdAt: new Date(), isPending: options.pending === true, token: options.token });
    if (options.pending !== true) secret.current = id;
    return { version: id };
  }

  async listVersions(name: string): Promise<VersionInfo[]> {
    const full = await this.#enter('listVersions', name);
    const secret = this.#secrets.get(full);
    if (secret === undefined) throw notFound();
    return [...secret.versions].reverse().map((v) => {
      const state = this.#stateOf(secret, v);
      return { version: v.id, createdAt: new Date(v.createdAt), stages: [state], state };
    });
  }

  async list(prefix: string): Promise<string[]> {
    this.#count('list');
    this.#checkOpen();
    if (typeof prefix !== 'string' || !LIST_PREFIX.test(prefix) || prefix.startsWith('/') || prefix.includes('//')) {
      throw new InvalidSecretNameError('The list prefix is not a logical name prefix: use /-separated segments of A-Z a-z 0-9 _ . -.');
    }
    if (this.#beforeCall !== undefined) await this.#beforeCall({ method: 'list', name: prefix });
    const full = this.#prefix + prefix;
    const names: string[] = [];
    for (const key of this.#secrets.keys()) if (key.startsWith(full)) names.push(key.slice(this.#prefix.length));
    return names.sort();
  }

  async delete(name: string, options: DeleteOptions = {}): Promise<void> {
    const full = await this.#enter('delete', name);
    const secret = this.#secrets.get(full);
    if (secret === undefined) throw notFound();
    if (options.versions === undefined) {
      for (const v of secret.versions) v.value?.fill(0);
      this.#secrets.delete(full);
      return;
    }
    const targets = options.versions.map((id) => secret.versions.find((v) => v.id === id && v.value !== undefined));
    if (targets.some((v) => v === undefined)) throw new SecretNotFoundError('A version to delete does not exist (or was deleted already).');
    for (const v of targets as StoredVersion[]) {
      v.value?.fill(0);
      v.value = undefined;
      if (secret.current === v.id) secret.current = undefined;
    }
    if (options.permanent === true) {
      const kept = secret.versions.filter((v) => v.value !== undefined);
      secret.versions.splice(0, secret.versions.length, ...kept);
      if (kept.length === 0) this.#secrets.delete(full);
    }
  }

  async health(): Promise<void> {
    this.#count('health');
    this.#checkOpen();
    if (this.#beforeCall !== undefined) await this.#beforeCall({ method: 'health' });
  }

  /** Zero and drop every value; later calls fail with ProviderUnavailableError. */
  async close(): Promise<void> {
    this.#count('close');
    this.#isClosed = true;
    for (const secret of this.#secrets.values()) for (const v of secret.versions) v.value?.fill(0);
    this.#secrets.clear();
  }

  #count(method: ProviderMethod): void {
    this.#calls.set(method, (this.#calls.get(method) ?? 0) + 1);
  }

  /** Count, check the name and the state, run the hook; returns the full name. */
  async #enter(method: ProviderMethod, name: string, signal?: AbortSignal): Promise<string> {
    this.#count(method);
    const full = this.#full(name);
    this.#checkOpen(signal);
    if (this.#beforeCall !== undefined) await this.#beforeCall({ method, name });
    return full;
  }

  #full(name: string): string {
    if (typeof name !== 'string' || !isLogical(name)) {
      throw new InvalidSecretNameError('The secret name is not a logical name: use /-separated, non-empty segments of A-Z a-z 0-9 _ . - (no "." or ".." segment).');
    }
    const full = this.#prefix + name;
    if (full.length > this.#maxNameLength) throw new InvalidSecretNameError(`The secret name is longer than ${this.#maxNameLength} characters with the prefix.`);
    return full;
  }

  #checkOpen(signal?: AbortSignal): void {
    if (this.#isClosed) throw new ProviderUnavailableError('The in-memory provider is closed; create a new one.');
    if (signal?.aborted === true) throw new ProviderUnavailableError('The call was aborted.');
  }

  /** A readable version: the given id, or the current one. */
  #version(full: string, id: string | undefined): StoredVersion {
    const secret = this.#secrets.get(full);
    const wanted = id ?? secret?.current;
    const v = wanted === undefined ? undefined : secret?.versions.find((x) => x.id === wanted);
    if (v?.value === undefined) throw id === undefined ? notFound() : new SecretNotFoundError('No such version of the secret (or it was deleted).');
    return v;
  }

  #stateOf(secret: StoredSecret, v: StoredVersion): VersionInfo['state'] {
    if (v.value === undefined) return 'deleted';
    if (v.id === secret.current) return 'current';
    return v.isPending ? 'pending' : 'previous';
  }
}

function copyOf(bytes: Uint8Array): Buffer {
  const copy = Buffer.alloc(bytes.length);
  copy.set(bytes);
  return copy;
}

function notFound(): SecretNotFoundError {
  return new SecretNotFoundError('No such secret in the in-memory provider. Write it first.');
}
