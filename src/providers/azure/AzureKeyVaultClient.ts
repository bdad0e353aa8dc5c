import type { KeyVaultSecret, SecretClient, SecretProperties } from '@azure/keyvault-secrets';
import type { Logger } from 'pino';
import { timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../../errors/ConfigError';
import { ConflictError } from '../../errors/ConflictError';
import { InvalidSecretNameError } from '../../errors/InvalidSecretNameError';
import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../errors/SecretNotFoundError';
import { SecretsError } from '../../errors/SecretsError';
import { UnsupportedOperationError } from '../../errors/UnsupportedOperationError';
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
import { isRetryableByDefault, withRetry } from '../retry';
import type { AzureProviderConfig } from './AzureProviderConfig';
import type { AzureVersionProperties } from './AzureVersionProperties';
import { azureSecretName } from './azureSecretName';
import { decodeAzureName } from './decodeAzureName';
import { decodeAzureValue } from './decodeAzureValue';
import { encodeAzureValue } from './encodeAzureValue';
import { isLogicalName } from './isLogicalName';
import { mapAzureError, type AzureErrorContext } from './mapAzureError';

/** Tag with our state of a version: `pending` (written, not yet current) or `retired` (superseded). */
const STATE_TAG = 'vc-state';
/** Tag with the idempotency token of the write that made the version. */
const TOKEN_TAG = 'vc-token';
/** Tag with the writer's clock in ms: orders versions created in the same second (Azure keeps seconds only). */
const WRITTEN_AT_TAG = 'vc-written-at';
/** Azure version ids are 32 hex characters; we accept any short alphanumeric id (emulators) and nothing else. */
const VERSION = /^[0-9A-Za-z]{1,64}$/;
const TOKEN = /^[A-Za-z0-9_.:-]{1,128}$/;

/** A version's state as this library sees it; see {@link AzureKeyVaultClient.listVersions}. */
type VersionState = VersionInfo['state'];

/**
 * An authenticated Azure Key Vault client behind the {@link ProviderClient} interface.
 *
 * - Names: the logical name under the URI prefix is encoded into Azure's `[0-9a-z-]` by `encodeAzureName`
 *   (injective, case-insensitive safe, checked against the 127-character limit before any call).
 * - Values: UTF-8 text as is (`text/plain; charset=utf-8`), other bytes as base64
 *   (`application/octet-stream; base64`); at most 25,000 stored bytes.
 * - Current version: the newest enabled version without a `vc-state` tag. Azure itself always serves the most
 *   recently written version as "latest", so a `pending` version (written with `put(..., { pending: true })`)
 *   is latest for other Azure readers (CSI driver, portal) but not for this library. Reading the current value
 *   costs one GET; when the latest version is pending, retired or disabled it costs a version listing and a
 *   second GET.
 * - Every call goes through `withRetry` (per-attempt timeout, exponential backoff with full jitter, bounded in
 *   count and time); the SDK's own retries are off. Errors are mapped once, by `mapAzureError`.
 *
 * @example
 * ```ts
 * const client = await azureProviderFactory.create(azureProviderFactory.parse(new URL('azure://kv.vault.azure.net/app/'), process.env));
 * await client.put('DB_PASSWORD', Buffer.from('s3cret'));
 * const { value, version } = await client.get('DB_PASSWORD');
 * ```
 */
export class AzureKeyVaultClient implements ProviderClient {
  readonly scheme = 'azure';
  readonly capabilities: ProviderCapabilities = { batch: false, write: true, delete: true, versions: true, list: true };
  readonly #client: SecretClient;
  readonly #config: AzureProviderConfig;
  readonly #logger: Logger | undefined;
  /** Aborts calls in flight when the client is closed. */
  readonly #closing = new AbortController();
  /** Whether the Key Vault authentication challenge has been answered (the first request costs a 401 round trip). */
  #isWarm = false;
  /** Settles when the call that is answering the challenge is done; see {@link AzureKeyVaultClient.#call}. */
  #warming: Promise<void> | undefined;

  constructor(client: SecretClient, config: AzureProviderConfig, logger?: Logger) {
    this.#client = client;
    this.#config = config;
    this.#logger = logger;
  }

  async get(name: string, options: GetOptions = {}): Promise<FetchedSecret> {
    const azName = this.#azureName(name);
    if (options.version !== undefined) {
      const secret = await this.#getVersion(name, azName, options.version, options.signal);
      return this.#fetched(name, secret, false);
    }
    const { secret, isLatest } = await this.#readCurrent(name, azName, options.signal);
    return this.#fetched(name, secret, isLatest);
  }

  async getMany(names: readonly string[], options: { signal?: AbortSignal } = {}): Promise<GetManyResult> {
    const found = new Map<string, FetchedSecret>();
    const errors = new Map<string, SecretsError>();
    const queue = [...new Set(names)];
    let next = 0;
    const readOne = async (name: string): Promise<void> => {
      if (options.signal?.aborted) {
        errors.set(name, new ProviderUnavailableError(`Reading secret "${name}" from Azure Key Vault was aborted.`));
        return;
      }
      try {
        found.set(name, await this.get(name, options.signal ? { signal: options.signal } : {}));
      } catch (error) {
        errors.set(name, SecretsError.is(error) ? error : mapAzureError(error, this.#ctx('get', name)));
      }
    };
    const worker = async (): Promise<void> => {
      while (next < queue.length) await readOne(queue[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.#config.concurrency, queue.length) }, () => worker()));
    return { found, errors };
  }

  async currentVersion(name: string): Promise<string> {
    const azName = this.#azureName(name);
    // Azure has no metadata-only read of the latest version: one GET (the value is dropped at once) is cheaper
    // than listing every version, which is paged and unordered.
    const { secret } = await this.#readCurrent(name, azName);
    return this.#versionOf(name, secret.properties);
  }

  async put(name: string, value: Uint8Array, options: PutOptions = {}): Promise<{ version: string }> {
    const azName = this.#azureName(name);
    const encoded = encodeAzureValue(name, value);
    if (options.token !== undefined && !TOKEN.test(options.token)) {
      throw new ConfigError(`Idempotency token for secret "${name}" must be 1-128 characters of letters, digits, "_", ".", ":" and "-".`);
    }
    // Check-and-set is read-then-write: Azure Key Vault has no conditional write, so two writers can still race.
    if (options.expectedVersion !== undefined) {
      const current = await this.#currentOrUndefined(name, azName);
      const expected = options.expectedVersion;
      if (expected === '0' ? current !== undefined : current !== expected) {
        throw new ConflictError(
          `Secret "${name}" was changed concurrently: expected ${expected === '0' ? 'no secret' : `version ${expected}`}, found ${current === undefined ? 'none' : `version ${current}`}. Re-read and retry.`,
        );
      }
    }
    if (options.token !== undefined) {
      const earlier = (await this.#versionProperties(name, azName, true)).find((p) => p.tags?.[TOKEN_TAG] === options.token);
      if (earlier !== undefined) {
        const version = this.#versionOf(name, earlier);
        const stored = await this.#getVersion(name, azName, version, options.signal);
        const bytes = decodeAzureValue(name, stored.value ?? '', stored.properties.contentType);
        const isSame = bytes.length === value.byteLength && timingSafeEqual(bytes, value);
        bytes.fill(0);
        if (isSame) return { version };
        throw new ConflictError(`Idempotency token of secret "${name}" was already used for another value (version ${version}); use a new token.`);
      }
    }
    const tags: Record<string, string> = { [WRITTEN_AT_TAG]: String(Date.now()) };
    if (options.pending) tags[STATE_TAG] = 'pending';
    if (options.token !== undefined) tags[TOKEN_TAG] = options.token;
    const secret = await this.#call(this.#ctx('put', name), options.signal, async (signal) => {
      try {
        return await this.#client.setSecret(azName, encoded.value, { contentType: encoded.contentType, tags, abortSignal: signal });
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        throw await this.#explainNameConflict(name, azName, signal);
      }
    });
    return { version: this.#versionOf(name, secret.properties) };
  }

  /**
   * Versions newest first (by Azure's `createdOn`, seconds; ties by our `vc-written-at` tag), without values.
   * State: `disabled` when disabled; `pending` / `retired` from our `vc-state` tag; the newest other one is
   * `current`, the rest `previous`. Stages: the `vc-state` tag, `disabled`, and `latest` on the version Azure
   * itself serves as latest (the newest).
   */
  async listVersions(name: string): Promise<VersionInfo[]> {
    const azName = this.#azureName(name);
    const props = sortNewestFirst(await this.#versionProperties(name, azName, false));
    let hasCurrent = false;
    return props.map((p, i) => {
      const tag = p.tags?.[STATE_TAG];
      let state: VersionState;
      if (p.enabled === false) state = 'disabled';
      else if (tag === 'pending' || tag === 'retired') state = tag;
      else if (tag !== undefined) state = 'other';
      else if (!hasCurrent) {
        state = 'current';
        hasCurrent = true;
      } else state = 'previous';
      const stages = [...(tag !== undefined ? [tag] : []), ...(p.enabled === false ? ['disabled'] : []), ...(i === 0 ? ['latest'] : [])];
      return { version: this.#versionOf(name, p), ...(p.createdOn ? { createdAt: p.createdOn } : {}), stages, state };
    });
  }

  async list(prefix: string): Promise<string[]> {
    if (typeof prefix !== 'string' || !/^[A-Za-z0-9_.\-/]*$/.test(prefix) || prefix.startsWith('/') || prefix.includes('//')) {
      throw new InvalidSecretNameError(`Invalid list prefix ${JSON.stringify(String(prefix).slice(0, 140))}: use a logical name prefix such as "app/".`);
    }
    const all = await this.#call(this.#ctx('list secrets'), undefined, async (signal) => {
      const names: string[] = [];
      for await (const p of this.#client.listPropertiesOfSecrets({ abortSignal: signal })) names.push(p.name);
      return names;
    });
    const base = this.#config.prefix;
    const out = new Set<string>();
    for (const azName of all) {
      const full = decodeAzureName(azName);
      if (full === undefined || !full.startsWith(base)) continue;
      const logical = full.slice(base.length);
      if (isLogicalName(logical) && logical.startsWith(prefix)) out.add(logical);
    }
    return [...out].sort();
  }

  /**
   * Delete the whole secret (soft delete, then purge when `permanent`), or, with `versions`, disable just those
   * versions (Azure cannot remove single versions; a disabled version is never read).
   */
  async delete(name: string, options: DeleteOptions = {}): Promise<void> {
    const azName = this.#azureName(name);
    if (options.versions !== undefined) {
      if (options.permanent) {
        throw new UnsupportedOperationError(`Azure Key Vault cannot remove single versions of secret "${name}" for good; delete the versions without permanent (they are disabled) or delete the whole secret.`);
      }
      for (const version of options.versions) {
        if (!VERSION.test(version)) throw new SecretNotFoundError(`Secret "${name}" has no version ${JSON.stringify(version.slice(0, 70))} in Azure Key Vault.`);
        await this.#call(this.#ctx('disable', name, version), undefined, (signal) =>
          this.#client.updateSecretProperties(azName, version, { enabled: false, abortSignal: signal }),
        );
      }
      return;
    }
    let isGone = false;
    let attempts = 0;
    try {
      await this.#call(
        this.#ctx('delete', name),
        undefined,
        async (signal) => {
          attempts++;
          try {
            const poller = await this.#client.beginDeleteSecret(azName, { abortSignal: signal, intervalInMs: 200 });
            await poller.pollUntilDone({ abortSignal: signal });
          } catch (error) {
            // A retry after a lost answer finds the secret already deleted by the earlier attempt.
            if (attempts > 1 && statusOf(error) === 404) return;
            throw error;
          }
        },
        { timeoutMs: Math.max(this.#config.timeoutMs, 30_000), deadlineMs: Math.max(this.#config.deadlineMs, 60_000) },
      );
    } catch (error) {
      // Already soft-deleted: a permanent delete still purges it.
      if (!(options.permanent && SecretsError.is(error) && error.code === SecretNotFoundError.code)) throw error;
      isGone = true;
    }
    if (!options.permanent) return;
    try {
      await this.#call(this.#ctx('purge', name), undefined, (signal) => this.#client.purgeDeletedSecret(azName, { abortSignal: signal }));
    } catch (error) {
      if (SecretsError.is(error) && error.code === SecretNotFoundError.code && !isGone) return;
      throw error;
    }
  }

  async health(): Promise<void> {
    await this.#call(this.#ctx('health check (list secrets)'), undefined, async (signal) => {
      await this.#client.listPropertiesOfSecrets({ abortSignal: signal }).byPage({ maxPageSize: 1 }).next();
    });
  }

  /**
   * Set or clear our state tag of one version (`pending` -> current by clearing it, or `retired`), keeping its
   * other tags. The building block of rotation on Azure, where a write always becomes Azure's latest version.
   */
  async setVersionState(name: string, version: string, state: 'pending' | 'retired' | undefined): Promise<void> {
    const azName = this.#azureName(name);
    const props = (await this.#versionProperties(name, azName, false)).find((p) => p.version === version);
    if (props === undefined) throw new SecretNotFoundError(`Secret "${name}" has no version ${JSON.stringify(version.slice(0, 70))} in Azure Key Vault.`);
    const tags = { ...(props.tags ?? {}) };
    if (state === undefined) delete tags[STATE_TAG];
    else tags[STATE_TAG] = state;
    await this.#call(this.#ctx('tag', name, version), undefined, (signal) => this.#client.updateSecretProperties(azName, version, { tags, abortSignal: signal }));
  }

  /**
   * Every version's properties and tags, newest first (the order of {@link AzureKeyVaultClient.listVersions}),
   * in one listing (all pages). Never a value. Rotation reads its state and schedule from this.
   *
   * @example
   * ```ts
   * const versions = await client.listVersionProperties('DB_PASSWORD');
   * ```
   */
  async listVersionProperties(name: string): Promise<AzureVersionProperties[]> {
    const azName = this.#azureName(name);
    return sortNewestFirst(await this.#versionProperties(name, azName, false)).map((p) => ({
      version: this.#versionOf(name, p),
      ...(p.createdOn ? { createdAt: p.createdOn } : {}),
      ...(p.updatedOn ? { updatedAt: p.updatedOn } : {}),
      enabled: p.enabled !== false,
      tags: { ...(p.tags ?? {}) },
    }));
  }

  /**
   * Write a new version with exactly these tags (plus `vc-written-at`), no token check and no check-and-set:
   * the low-level write of rotation, which tags the version `vc-state=pending` and its own ids. At most 15 tags.
   * Returns the version id, Azure's `createdOn` and the tags as written.
   *
   * @example
   * ```ts
   * const { version } = await client.putTagged('DB_PASSWORD', next, { 'vc-state': 'pending' });
   * ```
   */
  async putTagged(name: string, value: Uint8Array, tags: Record<string, string>): Promise<{ version: string; createdAt?: Date; tags: Record<string, string> }> {
    const azName = this.#azureName(name);
    const encoded = encodeAzureValue(name, value);
    const all: Record<string, string> = { ...tags, [WRITTEN_AT_TAG]: String(Date.now()) };
    const secret = await this.#call(this.#ctx('put', name), undefined, async (signal) => {
      try {
        return await this.#client.setSecret(azName, encoded.value, { contentType: encoded.contentType, tags: all, abortSignal: signal });
      } catch (error) {
        if (statusOf(error) !== 409) throw error;
        throw await this.#explainNameConflict(name, azName, signal);
      }
    });
    return { version: this.#versionOf(name, secret.properties), ...(secret.properties.createdOn ? { createdAt: secret.properties.createdOn } : {}), tags: all };
  }

  /**
   * Replace one version's tags and/or set whether it is enabled, in one call (`updateSecretProperties`). The
   * caller passes the whole tag set (Azure replaces it), usually from {@link AzureKeyVaultClient.listVersionProperties}.
   *
   * @example
   * ```ts
   * await client.updateVersion('DB_PASSWORD', version, { enabled: false });
   * ```
   */
  async updateVersion(name: string, version: string, update: { tags?: Record<string, string>; enabled?: boolean }): Promise<void> {
    const azName = this.#azureName(name);
    if (!VERSION.test(version)) throw new SecretNotFoundError(`Secret "${name}" has no version ${JSON.stringify(version.slice(0, 70))} in Azure Key Vault.`);
    await this.#call(this.#ctx(update.enabled === false ? 'disable' : 'tag', name, version), undefined, (signal) =>
      this.#client.updateSecretProperties(azName, version, {
        ...(update.tags !== undefined ? { tags: update.tags } : {}),
        ...(update.enabled !== undefined ? { enabled: update.enabled } : {}),
        abortSignal: signal,
      }),
    );
  }

  /** Aborts calls in flight; later calls fail. The SDK holds no other resource to free. */
  async close(): Promise<void> {
    this.#closing.abort(new ProviderUnavailableError('The Azure Key Vault client was closed.'));
  }

  // --- internals -------------------------------------------------------------------------------------------

  #azureName(name: string): string {
    return azureSecretName(this.#config.prefix, name);
  }

  #ctx(op: string, name?: string, version?: string): AzureErrorContext {
    return { op, vault: this.#config.vaultUrl, ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}) };
  }

  /**
   * One backend operation: retried, timed out, aborted on close or by the caller, errors mapped once.
   *
   * Until the client has answered Key Vault's authentication challenge, calls go one at a time. The SDK's
   * challenge policy sends a new client's first request without its body and restores the body when the 401
   * comes back; when several first requests run in parallel and another one completes the challenge first, the
   * body is never restored and Azure answers 400 "Property value is required" (seen with parallel puts). One
   * call at a time until then also spares a 401 round trip per parallel request.
   */
  async #call<T>(
    ctx: AzureErrorContext,
    userSignal: AbortSignal | undefined,
    attempt: (signal: AbortSignal) => Promise<T>,
    limits: { timeoutMs?: number; deadlineMs?: number } = {},
  ): Promise<T> {
    while (!this.#isWarm) {
      if (this.#warming !== undefined) {
        await this.#warming;
        continue;
      }
      let done!: () => void;
      this.#warming = new Promise<void>((resolve) => (done = resolve));
      try {
        return await this.#attempts(ctx, userSignal, attempt, limits);
      } finally {
        this.#warming = undefined;
        done();
      }
    }
    return this.#attempts(ctx, userSignal, attempt, limits);
  }

  async #attempts<T>(
    ctx: AzureErrorContext,
    userSignal: AbortSignal | undefined,
    attempt: (signal: AbortSignal) => Promise<T>,
    limits: { timeoutMs?: number; deadlineMs?: number },
  ): Promise<T> {
    if (this.#closing.signal.aborted) throw new ProviderUnavailableError(`Azure Key Vault client is closed; ${ctx.op} was not sent.`);
    const isAborted = () => this.#closing.signal.aborted || userSignal?.aborted === true;
    return withRetry(
      async (signal) => {
        const signals = [signal, this.#closing.signal, ...(userSignal ? [userSignal] : [])];
        try {
          const result = await attempt(AbortSignal.any(signals));
          this.#isWarm = true;
          return result;
        } catch (error) {
          if (statusOf(error) !== undefined) this.#isWarm = true;
          throw mapAzureError(error, ctx);
        }
      },
      {
        retries: this.#config.retries,
        timeoutMs: limits.timeoutMs ?? this.#config.timeoutMs,
        deadlineMs: limits.deadlineMs ?? this.#config.deadlineMs,
        isRetryable: (error) => !isAborted() && isRetryableByDefault(error),
        onRetry: ({ attempt: n, delayMs, error }) =>
          this.#logger?.debug({ provider: 'azure', op: ctx.op, secret: ctx.name, attempt: n, delayMs, code: SecretsError.is(error) ? error.code : undefined }, 'azure key vault call retried'),
      },
    );
  }

  async #getVersion(name: string, azName: string, version: string, signal?: AbortSignal): Promise<KeyVaultSecret> {
    if (!VERSION.test(version)) {
      throw new SecretNotFoundError(`Secret "${name}" has no version ${JSON.stringify(version.slice(0, 70))} in Azure Key Vault (versions are 32 hex characters).`);
    }
    return this.#call(this.#ctx('get', name, version), signal, (s) => this.#client.getSecret(azName, { version, abortSignal: s }));
  }

  /**
   * The current version with its value: the latest one (one GET) unless it is pending, retired or disabled; then
   * the newest enabled version without a state tag, found by listing versions.
   */
  async #readCurrent(name: string, azName: string, signal?: AbortSignal): Promise<{ secret: KeyVaultSecret; isLatest: boolean }> {
    try {
      const latest = await this.#call(this.#ctx('get', name), signal, (s) => this.#client.getSecret(azName, { abortSignal: s }));
      if (latest.properties.enabled !== false && latest.properties.tags?.[STATE_TAG] === undefined) return { secret: latest, isLatest: true };
    } catch (error) {
      if (!isDisabledError(error)) throw error;
    }
    const current = sortNewestFirst(await this.#versionProperties(name, azName, false)).find(
      (p) => p.enabled !== false && p.tags?.[STATE_TAG] === undefined,
    );
    if (current === undefined) {
      throw new SecretNotFoundError(
        `Secret "${name}" has no usable version in Azure Key Vault ${this.#config.vaultUrl}: every version is disabled, pending or retired. Enable a version, promote the pending one, or write a new value.`,
      );
    }
    return { secret: await this.#getVersion(name, azName, this.#versionOf(name, current), signal), isLatest: false };
  }

  async #currentOrUndefined(name: string, azName: string): Promise<string | undefined> {
    try {
      const { secret } = await this.#readCurrent(name, azName);
      return this.#versionOf(name, secret.properties);
    } catch (error) {
      if (SecretsError.is(error) && error.code === SecretNotFoundError.code) return undefined;
      throw error;
    }
  }

  /** Metadata of every version (all pages). A secret without versions is not found unless `allowEmpty`. */
  async #versionProperties(name: string, azName: string, allowEmpty: boolean): Promise<SecretProperties[]> {
    let props: SecretProperties[];
    try {
      props = await this.#call(this.#ctx('list versions of', name), undefined, async (signal) => {
        const out: SecretProperties[] = [];
        for await (const p of this.#client.listPropertiesOfSecretVersions(azName, { abortSignal: signal })) out.push(p);
        return out;
      });
    } catch (error) {
      if (allowEmpty && SecretsError.is(error) && error.code === SecretNotFoundError.code) return [];
      throw error;
    }
    if (props.length === 0 && !allowEmpty) throw new SecretNotFoundError(`Azure Key Vault has no secret "${name}" in ${this.#config.vaultUrl}; write it first or check the name and the URI prefix.`);
    return props;
  }

  /** A 409 on write: the name is soft-deleted (a clear, final conflict) or still being purged (retried). */
  async #explainNameConflict(name: string, azName: string, signal: AbortSignal): Promise<SecretsError> {
    const softDeleted = new ConflictError(
      `Secret "${name}" is soft-deleted in Azure Key Vault ${this.#config.vaultUrl}, so its name cannot be reused until it is recovered or purged. ` +
        'Purge it with delete(name, { permanent: true }) (or `az keyvault secret purge`), or recover it (`az keyvault secret recover`), then write again.',
      { cause: { code: 'ObjectIsDeletedButRecoverable', statusCode: 409 } },
    );
    try {
      await this.#client.getDeletedSecret(azName, { abortSignal: signal });
      return softDeleted;
    } catch (error) {
      if (statusOf(error) === 404) {
        return new ProviderUnavailableError(`Secret "${name}" cannot be written yet: Azure Key Vault is still purging the deleted secret of that name; retry shortly.`);
      }
      // Without permission to read deleted secrets we cannot tell; soft delete is the usual reason for a 409.
      return softDeleted;
    }
  }

  #fetched(name: string, secret: KeyVaultSecret, isLatest: boolean): FetchedSecret {
    if (typeof secret.value !== 'string') throw new ProviderResponseError(`Azure Key Vault returned secret "${name}" without a value; rewrite the secret.`);
    const p = secret.properties;
    const tag = p.tags?.[STATE_TAG];
    return {
      value: decodeAzureValue(name, secret.value, p.contentType),
      version: this.#versionOf(name, p),
      ...(p.createdOn ? { createdAt: p.createdOn } : {}),
      stages: [...(tag !== undefined ? [tag] : []), ...(isLatest ? ['latest'] : [])],
    };
  }

  #versionOf(name: string, p: SecretProperties): string {
    if (!p.version) throw new ProviderResponseError(`Azure Key Vault returned secret "${name}" without a version id.`);
    return p.version;
  }
}

function statusOf(error: unknown): number | undefined {
  const s = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** A read refused because the version is disabled (mapped to SecretNotFoundError from a 403). */
function isDisabledError(error: unknown): boolean {
  return SecretsError.is(error) && error.code === SecretNotFoundError.code && (error.cause as { statusCode?: number } | undefined)?.statusCode === 403;
}

function sortNewestFirst(props: SecretProperties[]): SecretProperties[] {
  const writtenAt = (p: SecretProperties) => Number(p.tags?.[WRITTEN_AT_TAG] ?? 0) || 0;
  return [...props].sort(
    (a, b) =>
      (b.createdOn?.getTime() ?? 0) - (a.createdOn?.getTime() ?? 0) ||
      writtenAt(b) - writtenAt(a) ||
      (b.updatedOn?.getTime() ?? 0) - (a.updatedOn?.getTime() ?? 0) ||
      (a.version ?? '').localeCompare(b.version ?? ''),
  );
}
