import type { Logger } from 'pino';
import { ConflictError } from '../../errors/ConflictError';
import { InvalidSecretNameError } from '../../errors/InvalidSecretNameError';
import { ProviderAuthError } from '../../errors/ProviderAuthError';
import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../errors/SecretNotFoundError';
import { SecretTooLargeError } from '../../errors/SecretTooLargeError';
import { isSecretsError, type SecretsError } from '../../errors/SecretsError';
import type {
  DeleteOptions,
  FetchedSecret,
  GetManyResult,
  GetOptions,
  ProviderCapabilities,
  ProviderClient,
  PutOptions,
  VersionInfo,
} from '../Provider';
import { decodeKvValue } from './decodeKvValue';
import { describeVersions } from './describeVersions';
import { encodeKvValue } from './encodeKvValue';
import { mapVaultError, type VaultErrorContext } from './mapVaultError';
import { mapWithConcurrency } from './mapWithConcurrency';
import { parseKvMetadata, type KvMetadata } from './parseKvMetadata';
import { CURRENT_PIN_KEY, readCurrentPin } from './readCurrentPin';
import { validateVaultName } from './validateVaultName';
import type { VaultProviderConfig } from './VaultProviderConfig';
import type { VaultTokenSession } from './VaultTokenSession';
import type { VaultReply, VaultRequest, VaultTransport } from './VaultTransport';

/** Largest value we write (bytes). KV v2 itself is bounded by the storage entry size (512 KiB on Consul). */
const MAX_VALUE_BYTES = 384 * 1024;

/**
 * A {@link ProviderClient} for a HashiCorp Vault or OpenBao KV version 2 mount.
 *
 * Layout (see docs/providers/vault.md): logical name `a/B` under prefix `app` is the KV path `app/a/B`; the value
 * is `{ value: <utf-8 string> }` or `{ value_b64: <base64> }`; versions are KV's version numbers as strings.
 * KV v2 has no stages, so a write with `pending: true` first pins the current version in custom_metadata
 * (`vc_current_version`) and then writes the new version above it; {@link VaultKvClient.promote} moves the pin.
 * Every request goes through {@link VaultTransport} (retries, timeouts, error mapping); a refused request is
 * retried once after a fresh login when the auth method allows one.
 *
 * @example
 * ```ts
 * const client = await vaultProviderFactory.create(vaultProviderFactory.parse(new URL('vault://127.0.0.1:8200/secret/app?tls=0'), process.env));
 * const { value, version } = await client.get('DB_PASSWORD');
 * ```
 */
export class VaultKvClient implements ProviderClient {
  readonly scheme: string;
  readonly capabilities: ProviderCapabilities = { batch: false, write: true, delete: true, versions: true, list: true };
  readonly #c: VaultProviderConfig;
  readonly #transport: VaultTransport;
  readonly #session: VaultTokenSession;
  readonly #log: Logger | undefined;
  #closed = false;

  constructor(config: VaultProviderConfig, transport: VaultTransport, session: VaultTokenSession, logger?: Logger) {
    this.scheme = config.scheme;
    this.#c = config;
    this.#transport = transport;
    this.#session = session;
    this.#log = logger;
  }

  async get(name: string, options: GetOptions = {}): Promise<FetchedSecret> {
    validateVaultName(name, this.#c.prefix);
    if (options.version !== undefined) {
      const version = parseVersion(options.version, name);
      return this.#readVersion(name, version, options.signal);
    }
    // 1. Read the latest version. 2. If a pin says another version is current, read that one instead
    //    (only while a pending version exists; the common case is one request).
    const context = { operation: 'get', name };
    const reply = await this.#send({ method: 'GET', path: this.#path('data', name), allowNotFound: true }, context, options.signal);
    const metadata = (reply.body as { data?: { metadata?: { version?: unknown; custom_metadata?: unknown } } } | null)?.data?.metadata;
    const pin = readCurrentPin(metadata?.custom_metadata);
    if (pin !== undefined && pin !== metadata?.version) {
      if (pin === 0) throw new SecretNotFoundError(`Vault get of "${name}": no version is current yet (only a pending one exists). Promote it or write a version.`);
      return this.#readVersion(name, pin, options.signal);
    }
    if (reply.notFound) throw notFoundFrom(reply, this.#context(context));
    return this.#fetched(reply.body, name);
  }

  async getMany(names: readonly string[], options: { signal?: AbortSignal } = {}): Promise<GetManyResult> {
    // Vault has no batch read: parallel single reads, at most `concurrency` in flight, errors kept per name.
    const settled = await mapWithConcurrency(names, this.#c.concurrency, (name) => this.get(name, options.signal ? { signal: options.signal } : {}));
    if (options.signal?.aborted) {
      throw isSecretsError(options.signal.reason) ? options.signal.reason : new ProviderUnavailableError('Vault getMany was aborted by the caller.');
    }
    const result: GetManyResult = { found: new Map(), errors: new Map() };
    settled.forEach((s, i) => {
      const name = names[i]!;
      if (s.status === 'fulfilled') result.found.set(name, s.value);
      else result.errors.set(name, asSecretsError(s.reason, name));
    });
    return result;
  }

  async currentVersion(name: string): Promise<string> {
    validateVaultName(name, this.#c.prefix);
    const view = describeVersions(await this.#metadata(name, 'currentVersion'));
    if (view.current === undefined) throw new SecretNotFoundError(`Vault currentVersion of "${name}": no version is current (none written, or only a pending one).`);
    if (!view.currentIsLive) throw new SecretNotFoundError(`Vault currentVersion of "${name}": version ${view.current} is deleted or destroyed.`);
    return String(view.current);
  }

  async put(name: string, value: Uint8Array, options: PutOptions = {}): Promise<{ version: string }> {
    validateVaultName(name, this.#c.prefix);
    if (value.byteLength > MAX_VALUE_BYTES) {
      throw new SecretTooLargeError(`Secret "${name}" is ${value.byteLength} bytes; the Vault provider writes at most ${MAX_VALUE_BYTES} bytes.`);
    }
    let expected: number | undefined;
    if (options.expectedVersion !== undefined) {
      if (!/^\d{1,15}$/.test(options.expectedVersion)) {
        throw new ConflictError(`Vault put of "${name}": expected version "${options.expectedVersion.slice(0, 40)}" cannot be current (Vault versions are integers).`);
      }
      expected = Number(options.expectedVersion);
    }
    const data = encodeKvValue(value, this.#c.valueKey);
    const context = { operation: 'put', name, redact: Object.values(data), ...(options.expectedVersion !== undefined ? { expectedVersion: options.expectedVersion } : {}) };
    if (options.pending) return this.#putPending(name, data, expected, context, options.signal);

    // A plain write: KV's check-and-set is exactly our expectedVersion ('0' = create only).
    const reply = await this.#send(
      { method: 'POST', path: this.#path('data', name), json: { data, ...(expected !== undefined ? { options: { cas: expected } } : {}) } },
      context,
      options.signal,
    );
    const written = writtenVersion(reply.body, name);
    // A pin left by a pending write would keep the new version from being current: lift it.
    const pin = readCurrentPin((reply.body as { data?: { custom_metadata?: unknown } } | null)?.data?.custom_metadata);
    if (pin !== undefined) await this.#setPin(name, null, true);
    return { version: String(written) };
  }

  /**
   * Make `version` the current version: lift the pin when it is the latest, else pin it. Used by rotation to
   * promote a pending version (or roll back to an older live one).
   *
   * @example
   * ```ts
   * const { version } = await client.put('DB_PASSWORD', next, { pending: true });
   * await client.promote('DB_PASSWORD', version);
   * ```
   */
  async promote(name: string, version: string): Promise<void> {
    validateVaultName(name, this.#c.prefix);
    const n = parseVersion(version, name);
    const meta = await this.#metadata(name, 'promote');
    const v = meta.versions.get(n);
    if (!v || v.deleted || v.destroyed) throw new SecretNotFoundError(`Vault promote of "${name}": version ${n} does not exist or is deleted.`);
    await this.#setPin(name, n === meta.latestVersion ? null : n, true);
  }

  /**
   * The secret's KV v2 metadata in one request (`GET metadata`): latest version, the pin, custom_metadata and
   * every version's times and deletion flags. Never a value. Undefined when the secret has no metadata.
   *
   * @example
   * ```ts
   * const meta = await client.readMetadata('DB_PASSWORD');
   * meta?.customMetadata.vc_current_version;
   * ```
   */
  async readMetadata(name: string): Promise<KvMetadata | undefined> {
    validateVaultName(name, this.#c.prefix);
    const reply = await this.#send({ method: 'GET', path: this.#path('metadata', name), allowNotFound: true }, { operation: 'readMetadata', name });
    return reply.notFound ? undefined : parseKvMetadata(reply.body, name);
  }

  /**
   * Merge keys into the secret's custom_metadata (`PATCH metadata`); a null value removes that key. Vault has no
   * check-and-set on metadata: the last writer wins. Values are strings of at most 512 bytes.
   *
   * @example
   * ```ts
   * await client.patchMetadata('DB_PASSWORD', { vc_rotation: 'v1 every=30d', stale_key: null });
   * ```
   */
  async patchMetadata(name: string, customMetadata: Record<string, string | null>): Promise<void> {
    validateVaultName(name, this.#c.prefix);
    await this.#send({ method: 'PATCH', path: this.#path('metadata', name), json: { custom_metadata: customMetadata } }, { operation: 'patch metadata', name });
  }

  /**
   * Write exactly version `cas + 1` with KV's check-and-set (ConflictError when the latest version is not `cas`),
   * without touching the pin. The low-level step of rotation: with a pin set, the new version is pending; without
   * one it is current at once. Prefer {@link VaultKvClient.put} everywhere else.
   *
   * @example
   * ```ts
   * const { version } = await client.writeVersion('DB_PASSWORD', next, 7); // '8', pending while pinned at 7
   * ```
   */
  async writeVersion(name: string, value: Uint8Array, cas: number): Promise<{ version: string }> {
    validateVaultName(name, this.#c.prefix);
    if (value.byteLength > MAX_VALUE_BYTES) {
      throw new SecretTooLargeError(`Secret "${name}" is ${value.byteLength} bytes; the Vault provider writes at most ${MAX_VALUE_BYTES} bytes.`);
    }
    if (!Number.isSafeInteger(cas) || cas < 0) throw new ConflictError(`Vault write of "${name}": check-and-set version ${String(cas).slice(0, 20)} is not a version number.`);
    const data = encodeKvValue(value, this.#c.valueKey);
    const reply = await this.#send(
      { method: 'POST', path: this.#path('data', name), json: { data, options: { cas } } },
      { operation: 'put', name, redact: Object.values(data), expectedVersion: String(cas) },
    );
    return { version: String(writtenVersion(reply.body, name)) };
  }

  async listVersions(name: string): Promise<VersionInfo[]> {
    validateVaultName(name, this.#c.prefix);
    return describeVersions(await this.#metadata(name, 'listVersions')).infos;
  }

  async list(prefix: string): Promise<string[]> {
    // 1. Split the logical prefix into a folder ('a/b/') and a partial last segment ('x' of 'a/b/x').
    const cut = prefix.lastIndexOf('/') + 1;
    const folder = prefix.slice(0, cut);
    const partial = prefix.slice(cut);
    if (folder) validateVaultName(folder.slice(0, -1), this.#c.prefix);
    if (!/^[A-Za-z0-9_.-]*$/.test(partial)) {
      throw new InvalidSecretNameError(`Invalid list prefix ${JSON.stringify(prefix.slice(0, 80))} for Vault: a segment has a character outside [A-Za-z0-9_.-].`);
    }
    // 2. LIST folder by folder (keys ending in '/' are sub-folders), a level at a time, bounded in parallel.
    const names: string[] = [];
    let skipped = 0;
    let level = [folder];
    while (level.length > 0) {
      const settled = await mapWithConcurrency(level, this.#c.concurrency, (f) =>
        this.#send({ method: 'LIST', path: this.#path('metadata', f.replace(/\/$/, '')) + (f ? '/' : ''), allowNotFound: true }, { operation: 'list', name: f || '(root)' }),
      );
      const next: string[] = [];
      settled.forEach((s, i) => {
        if (s.status === 'rejected') throw asSecretsError(s.reason, level[i]!);
        if (s.value.notFound) return;
        const keys = (s.value.body as { data?: { keys?: unknown } } | null)?.data?.keys;
        if (!Array.isArray(keys)) throw new ProviderResponseError(`Vault list of "${level[i]}" returned no key list. Check that the mount is a KV version 2 engine.`);
        for (const key of keys) {
          if (typeof key !== 'string') continue;
          const full = level[i] + key;
          if (!full.startsWith(prefix)) continue;
          if (key.endsWith('/')) next.push(full);
          else if (isValidName(full, this.#c.prefix)) names.push(full);
          else skipped++;
        }
      });
      level = next;
    }
    if (skipped > 0) this.#log?.debug({ provider: 'vault', skipped }, 'vault list skipped keys that are not valid logical names');
    return names.sort();
  }

  async delete(name: string, options: DeleteOptions = {}): Promise<void> {
    validateVaultName(name, this.#c.prefix);
    if (options.versions !== undefined) {
      if (options.versions.length === 0) return;
      const versions = options.versions.map((v) => parseVersion(v, name));
      // Permanent per version = destroy (data gone, metadata kept); otherwise soft delete (undeletable).
      await this.#send(
        options.permanent
          ? { method: 'PUT', path: this.#path('destroy', name), json: { versions } }
          : { method: 'POST', path: this.#path('delete', name), json: { versions } },
        { operation: options.permanent ? 'destroy' : 'delete', name },
      );
      return;
    }
    if (options.permanent) {
      await this.#send({ method: 'DELETE', path: this.#path('metadata', name) }, { operation: 'delete', name });
      return;
    }
    // Soft delete of the secret: the current version and any pending one above it, so get() finds nothing.
    const reply = await this.#send({ method: 'GET', path: this.#path('metadata', name), allowNotFound: true }, { operation: 'delete', name });
    if (reply.notFound) return;
    const view = describeVersions(parseKvMetadata(reply.body, name));
    const versions = [...view.pending, ...(view.currentIsLive && view.current !== undefined ? [view.current] : [])];
    if (versions.length === 0) return;
    await this.#send({ method: 'POST', path: this.#path('delete', name), json: { versions } }, { operation: 'delete', name });
  }

  async health(): Promise<void> {
    // sys/health answers without a token; node-vault hands back its body whatever the status.
    const { body } = await this.#transport.send({ method: 'GET', path: '/sys/health' }, { operation: 'health' });
    const h = body as { initialized?: unknown; sealed?: unknown } | null;
    if (!h || typeof h !== 'object' || typeof h.sealed !== 'boolean') {
      throw new ProviderResponseError(`Vault health at ${this.#transport.address} returned an unexpected answer. Check that the address is a Vault or OpenBao server.`);
    }
    if (h.initialized === false) throw new ProviderUnavailableError(`Vault at ${this.#transport.address} is not initialized. Initialize and unseal it.`);
    if (h.sealed) throw new ProviderUnavailableError(`Vault at ${this.#transport.address} is sealed. Unseal it (or wait for auto-unseal).`);
    // A standby node is fine: it forwards what it does not serve itself to the active node, and the token
    // lookup below fails (unavailable) when no active node answers. And our token still works.
    await this.#send({ method: 'GET', path: '/auth/token/lookup-self' }, { operation: 'health (token lookup)' });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#session.close();
    this.#transport.close();
  }

  /** A KV v2 API path for a logical name (or folder): `/<mount>/<kind>/<prefix>/<name>`. */
  #path(kind: 'data' | 'metadata' | 'delete' | 'destroy', name: string): string {
    const full = [this.#c.prefix, name].filter((s) => s !== '').join('/');
    return `/${this.#c.mount}/${kind}/${full}`;
  }

  #context(context: Omit<VaultErrorContext, 'address' | 'timeoutMs'>): VaultErrorContext {
    return { ...context, address: this.#c.address, timeoutMs: this.#c.timeoutMs };
  }

  /** Send with our token; when it is refused and a new one can be had, log in again and retry once. */
  async #send(request: Omit<VaultRequest, 'token'>, context: Omit<VaultErrorContext, 'address' | 'timeoutMs'>, signal?: AbortSignal): Promise<VaultReply> {
    if (this.#closed) throw new ProviderUnavailableError(`Vault ${context.operation}: the client was closed. Create a new one.`);
    const token = this.#session.token;
    try {
      return await this.#transport.send({ ...request, token }, context, signal);
    } catch (error) {
      if (isSecretsError(error) && error.code === ProviderAuthError.code && (await this.#session.refresh(token))) {
        this.#log?.info({ provider: 'vault', operation: context.operation }, 'vault token was refused; logged in again');
        return this.#transport.send({ ...request, token: this.#session.token }, context, signal);
      }
      throw error;
    }
  }

  async #readVersion(name: string, version: number, signal?: AbortSignal): Promise<FetchedSecret> {
    const context = { operation: 'get', name, version: String(version) };
    const reply = await this.#send({ method: 'GET', path: `${this.#path('data', name)}?version=${version}` }, context, signal);
    return this.#fetched(reply.body, name);
  }

  #fetched(body: unknown, name: string): FetchedSecret {
    const data = (body as { data?: { data?: unknown; metadata?: { version?: unknown; created_time?: unknown; custom_metadata?: unknown } } } | null)?.data;
    const version = data?.metadata?.version;
    if (!data || typeof version !== 'number') {
      throw new ProviderResponseError(`Vault get of "${name}" returned a body without data.metadata.version. Check that the mount is a KV version 2 engine.`);
    }
    const value = decodeKvValue(data.data, this.#c.valueKey, name);
    const created = typeof data.metadata?.created_time === 'string' ? new Date(data.metadata.created_time) : undefined;
    const pin = readCurrentPin(data.metadata?.custom_metadata);
    return {
      value,
      version: String(version),
      ...(created && !Number.isNaN(created.getTime()) ? { createdAt: created } : {}),
      stages: pin !== undefined && version > pin ? ['vc_pending'] : [],
    };
  }

  async #metadata(name: string, operation: string): Promise<KvMetadata> {
    const reply = await this.#send({ method: 'GET', path: this.#path('metadata', name) }, { operation, name });
    return parseKvMetadata(reply.body, name);
  }

  /**
   * The pending write:
   * 1. Read metadata: the new version will be latest + 1; check expectedVersion against our current version.
   * 2. Pin the current version (unless a pin exists), so the new version is pending from the moment it exists.
   * 3. Write with cas = latest, so exactly version latest + 1 is created (or ConflictError).
   * 4. If the write failed, lift the pin we set, but only if no version was written above `latest` (best effort),
 *    and report the write's error.
   */
  async #putPending(name: string, data: Record<string, string>, expected: number | undefined, context: Omit<VaultErrorContext, 'address' | 'timeoutMs'>, signal?: AbortSignal): Promise<{ version: string }> {
    // 1.
    const metaReply = await this.#send({ method: 'GET', path: this.#path('metadata', name), allowNotFound: true }, context, signal);
    const meta = metaReply.notFound ? undefined : parseKvMetadata(metaReply.body, name);
    const latest = meta?.latestVersion ?? 0;
    const current = meta?.currentPin ?? latest;
    if (expected !== undefined && expected !== current) {
      throw new ConflictError(`Vault put of "${name}" lost a check-and-set race: the current version is ${current}, not ${expected}. Read the current version and retry.`);
    }
    // 2.
    const pinnedHere = meta?.currentPin === undefined;
    if (pinnedHere) await this.#setPin(name, current, meta !== undefined);
    // 3.
    try {
      const reply = await this.#send({ method: 'POST', path: this.#path('data', name), json: { data, options: { cas: latest } } }, context, signal);
      return { version: String(writtenVersion(reply.body, name)) };
    } catch (error) {
      // 4. Lift our pin only if nothing was written above `latest`: when we lost the check-and-set, or the answer of
      //    an applied write was lost, a pending version now exists under that pin, and lifting it would make an
      //    unverified version current. A pin left in place is cleaned up by the rotation's stale-pending recovery.
      if (pinnedHere) {
        try {
          const after = await this.#send({ method: 'GET', path: this.#path('metadata', name), allowNotFound: true }, context, signal);
          const latestNow = after.notFound ? 0 : parseKvMetadata(after.body, name).latestVersion;
          if (latestNow === latest) await this.#setPin(name, null, true);
        } catch {
          // best effort: keeping the pin is the safe side
        }
      }
      throw error;
    }
  }

  /** Set (or with null, lift) the pin in custom_metadata: PATCH merges it; POST creates metadata for a new secret. */
  async #setPin(name: string, version: number | null, exists: boolean): Promise<void> {
    const custom_metadata = { [CURRENT_PIN_KEY]: version === null ? null : String(version) };
    await this.#send(
      exists ? { method: 'PATCH', path: this.#path('metadata', name), json: { custom_metadata } } : { method: 'POST', path: this.#path('metadata', name), json: { custom_metadata } },
      { operation: 'pin current version', name },
    );
  }
}

/** Vault versions are positive integers; anything else names no version (so: not found). */
function parseVersion(version: string, name: string): number {
  if (typeof version === 'string' && /^[1-9]\d{0,14}$/.test(version)) return Number(version);
  throw new SecretNotFoundError(`Version ${JSON.stringify(String(version).slice(0, 40))} of "${name}" does not exist: Vault versions are positive integers.`);
}

function writtenVersion(body: unknown, name: string): number {
  const version = (body as { data?: { version?: unknown } } | null)?.data?.version;
  if (typeof version !== 'number') throw new ProviderResponseError(`Vault put of "${name}" returned no version number. Check that the mount is a KV version 2 engine.`);
  return version;
}

function notFoundFrom(reply: VaultReply, context: VaultErrorContext): SecretsError {
  return mapVaultError({ response: { statusCode: 404, body: reply.body } }, context);
}

function isValidName(name: string, prefix: string): boolean {
  try {
    validateVaultName(name, prefix);
    return true;
  } catch {
    return false;
  }
}

function asSecretsError(error: unknown, name: string): SecretsError {
  if (isSecretsError(error)) return error;
  return new ProviderResponseError(`Vault read of "${name}" failed unexpectedly.`);
}
