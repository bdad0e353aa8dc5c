import { randomUUID } from 'node:crypto';
import type * as SecretsManager from '@aws-sdk/client-secrets-manager';
import type { Logger } from 'pino';
import { ConfigError } from '../../errors/ConfigError';
import { ConflictError } from '../../errors/ConflictError';
import { InvalidSecretNameError } from '../../errors/InvalidSecretNameError';
import { ProviderAuthError } from '../../errors/ProviderAuthError';
import { ProviderResponseError } from '../../errors/ProviderResponseError';
import { ProviderUnavailableError } from '../../errors/ProviderUnavailableError';
import { SecretNotFoundError } from '../../errors/SecretNotFoundError';
import { SecretsError } from '../../errors/SecretsError';
import { SecretTooLargeError } from '../../errors/SecretTooLargeError';
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
import type { AwsProviderConfig } from './AwsProviderConfig';
import type { AwsSecretDescription } from './AwsSecretDescription';
import { BATCH_GET_MAX_IDS, buildBatchGetInput } from './buildBatchGetInput';
import { mapAwsError, type MapAwsErrorOptions } from './mapAwsError';
import { validateAwsSecretName } from './validateAwsSecretName';

/** What {@link AwsSecretsManagerClient} is built from; the factory loads the SDK and makes these. */
export interface AwsSecretsManagerClientOptions {
  /** The loaded `@aws-sdk/client-secrets-manager` module (commands are taken from it, so nothing loads it early). */
  sdk: typeof SecretsManager;
  /** An SDK client made with `maxAttempts: 1`: {@link withRetry} is the one retry policy. */
  client: SecretsManager.SecretsManagerClient;
  /** Clients of the other endpoints (`endpoint=` repeated), tried in turn when the one in use is unavailable. */
  failoverClients?: SecretsManager.SecretsManagerClient[];
  logger?: Logger;
}

const MAX_VALUE_BYTES = 65_536;
const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
// VersionId and ClientRequestToken are the same thing in AWS: 32-64 characters.
const VERSION_ID = /^[\x21-\x7e]{32,64}$/;
const STAGE = /^[\x21-\x7e]{1,256}$/;
const LOGICAL_PREFIX = /^[A-Za-z0-9/_+=.@-]*$/;
const BATCH_CONCURRENCY = 4;
const SINGLE_CONCURRENCY = 8;
/** How long `read=auto` keeps reading one secret a call after a throttled batch call. */
const BATCH_THROTTLE_PAUSE_MS = 300_000;
const MAX_PAGES = 1_000;
const STATE_ORDER: Record<VersionInfo['state'], number> = { pending: 0, current: 1, previous: 2, other: 3, disabled: 4, retired: 5, deleted: 6 };

type Mode = MapAwsErrorOptions['mode'];
type Payload = { SecretString: string } | { SecretBinary: Uint8Array };
interface ValueEntry {
  VersionId?: string | undefined;
  SecretString?: string | undefined;
  SecretBinary?: Uint8Array | undefined;
  VersionStages?: string[] | undefined;
  CreatedDate?: Date | undefined;
}

/**
 * A {@link ProviderClient} for AWS Secrets Manager. The backend name of a logical name is `<prefix><name>`;
 * names are checked against the AWS rules before any call. Every call runs through {@link withRetry} (per-attempt
 * timeout, exponential backoff with full jitter, bounded count and time; only network errors, timeouts, 5xx and
 * throttling are retried) and every failure is mapped by {@link mapAwsError} to a typed error without the value.
 *
 * Versions: `version` is the AWS VersionId; `stages` are its staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING).
 * AWS has no atomic check-and-set: `expectedVersion` is checked just before writing (it narrows the race, it does
 * not close it); `expectedVersion: '0'` uses CreateSecret, which is atomic. The idempotency primitive is the
 * ClientRequestToken (`options.token`): the same token and value is a no-op, the same token and another value is a
 * ConflictError. Without a token each put gets one random token, reused across its own retries.
 *
 * @example
 * ```ts
 * const client = await awsProviderFactory.create(awsProviderFactory.parse(new URL('aws://us-east-1/app/'), process.env));
 * await client.put('DB_PASSWORD', Buffer.from('s3cret'));
 * const { found, errors } = await client.getMany(['DB_PASSWORD', 'API_KEY']);
 * ```
 */
export class AwsSecretsManagerClient implements ProviderClient {
  /** What this backend can do (the factory states the same). */
  static readonly capabilities: ProviderCapabilities = Object.freeze({ batch: true, write: true, delete: true, versions: true, list: true });

  readonly scheme = 'aws';
  readonly capabilities = AwsSecretsManagerClient.capabilities;
  readonly #config: AwsProviderConfig;
  readonly #sdk: typeof SecretsManager;
  readonly #clients: SecretsManager.SecretsManagerClient[];
  /** Index in #clients of the client in use. */
  #current = 0;
  readonly #logger: Logger | undefined;
  #isClosed = false;
  /** Set once BatchGetSecretValue itself is denied by IAM: getMany then reads one secret a call. */
  #isBatchDenied = false;
  /** `read=auto`: until this time (ms), getMany reads one secret a call because a batch call was throttled. */
  #batchThrottledUntil = 0;

  constructor(config: AwsProviderConfig, options: AwsSecretsManagerClientOptions) {
    this.#config = config;
    this.#sdk = options.sdk;
    this.#clients = [options.client, ...(options.failoverClients ?? [])];
    this.#logger = options.logger;
  }

  /** The SDK client of the endpoint in use. */
  get #client(): SecretsManager.SecretsManagerClient {
    return this.#clients[this.#current]!;
  }

  /**
   * The underlying SDK client of the endpoint in use, for middleware (tracing, metrics). Do not send commands that
   * bypass this class. With several endpoints, {@link AwsSecretsManagerClient.sdkClients} has them all.
   */
  get sdkClients(): readonly SecretsManager.SecretsManagerClient[] {
    return this.#clients;
  }

  /** The SDK client of the endpoint in use (see {@link AwsSecretsManagerClient.sdkClients}). */
  get sdkClient(): SecretsManager.SecretsManagerClient {
    return this.#client;
  }

  async get(name: string, options: GetOptions = {}): Promise<FetchedSecret> {
    const id = this.#backendName(name);
    // Ask for AWSCURRENT explicitly: moto keeps serving the old value after UpdateSecretVersionStage otherwise.
    let input: SecretsManager.GetSecretValueCommandInput = { SecretId: id, VersionStage: CURRENT };
    if (options.version !== undefined) {
      this.#checkVersionId(name, options.version);
      input = { SecretId: id, VersionId: options.version };
    }
    const out = await this.#call('GetSecretValue', name, 'read', (signal) => this.#client.send(new this.#sdk.GetSecretValueCommand(input), { abortSignal: signal }), {
      signal: options.signal,
    });
    return this.#toFetched(name, out);
  }

  async getMany(names: readonly string[], options: { signal?: AbortSignal } = {}): Promise<GetManyResult> {
    this.#checkOpen();
    const found = new Map<string, FetchedSecret>();
    const errors = new Map<string, SecretsError>();
    const logicalOf = new Map<string, string>();
    for (const name of new Set(names)) {
      try {
        logicalOf.set(this.#backendName(name), name);
      } catch (error) {
        errors.set(name, error as SecretsError);
      }
    }
    const ids = [...logicalOf.keys()];
    const chunks: string[][] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_MAX_IDS) chunks.push(ids.slice(i, i + BATCH_GET_MAX_IDS));
    const one: string[] = [];
    const result = { found, errors, one };
    const mode = this.#config.readMode ?? 'auto';
    const isAuto = mode === 'auto';
    // Read strategy (see docs/providers/aws.md): BatchGetSecretValue has 1/100 of GetSecretValue's quota per
    // account (100/s against 10,000/s), so a batch saves round trips for one process but costs a fleet 5x more
    // quota-time per secret. `auto` batches until a batch call is throttled, then reads one secret a call
    // for a while; one secret is always one GetSecretValue.
    const isSingle = mode === 'single' || this.#isBatchDenied || ids.length === 1 || (isAuto && Date.now() < this.#batchThrottledUntil);

    try {
      await forEachLimited(chunks, BATCH_CONCURRENCY, async (chunk) => {
        if (isSingle || this.#isBatchDenied || (isAuto && Date.now() < this.#batchThrottledUntil)) return void one.push(...chunk);
        try {
          await this.#batchChunk(chunk, logicalOf, result, options.signal, isAuto);
        } catch (error) {
          if (isAuto && ProviderUnavailableError.isThrottling(error)) {
            if (Date.now() >= this.#batchThrottledUntil) {
              this.#logger?.info({ provider: 'aws', operation: 'BatchGetSecretValue', forMs: BATCH_THROTTLE_PAUSE_MS }, 'BatchGetSecretValue is throttled; reading secrets one call each for a while');
            }
            this.#batchThrottledUntil = Date.now() + BATCH_THROTTLE_PAUSE_MS;
            return void one.push(...chunk);
          }
          if (!isAccessDenied(error)) throw error;
          // IAM allows GetSecretValue but not BatchGetSecretValue (older policies): read these one by one.
          if (!this.#isBatchDenied) this.#logger?.warn({ provider: 'aws', operation: 'BatchGetSecretValue' }, 'BatchGetSecretValue is denied by IAM; reading secrets one call each');
          this.#isBatchDenied = true;
          one.push(...chunk);
        }
      });
      // Names the batch answered with a non-current version (moto) or a transient per-secret error, or all of them
      // when batching is denied: one GetSecretValue (AWSCURRENT) each.
      await forEachLimited(one, SINGLE_CONCURRENCY, async (id) => {
        const name = logicalOf.get(id) as string;
        try {
          found.set(name, await this.get(name, { signal: options.signal }));
          errors.delete(name);
        } catch (error) {
          errors.set(name, error as SecretsError);
        }
      });
    } catch (error) {
      // A whole-call failure: the values already read go nowhere, so wipe them.
      for (const secret of found.values()) secret.value.fill(0);
      throw error;
    }
    for (const name of logicalOf.values()) {
      if (!found.has(name) && !errors.has(name)) {
        errors.set(name, new ProviderResponseError(`AWS Secrets Manager BatchGetSecretValue returned neither a value nor an error for secret ${JSON.stringify(name)}; read it again.`));
      }
    }
    return { found, errors };
  }

  async currentVersion(name: string): Promise<string> {
    const id = this.#backendName(name);
    const out = await this.#call('DescribeSecret', name, 'read', (signal) => this.#client.send(new this.#sdk.DescribeSecretCommand({ SecretId: id }), { abortSignal: signal }));
    if (out.DeletedDate !== undefined) {
      throw new SecretNotFoundError(`Secret ${JSON.stringify(name)} is scheduled for deletion in AWS Secrets Manager; restore it with RestoreSecret if it is still needed.`);
    }
    const current = Object.entries(out.VersionIdsToStages ?? {}).find(([, stages]) => Array.isArray(stages) && stages.includes(CURRENT));
    if (current === undefined) {
      throw new ProviderResponseError(`AWS Secrets Manager DescribeSecret shows no ${CURRENT} version for secret ${JSON.stringify(name)}; move ${CURRENT} to a version (UpdateSecretVersionStage).`);
    }
    return current[0];
  }

  async put(name: string, value: Uint8Array, options: PutOptions = {}): Promise<{ version: string }> {
    const id = this.#backendName(name);
    if (value.byteLength > MAX_VALUE_BYTES) {
      throw new SecretTooLargeError(
        `Secret ${JSON.stringify(name)} is ${value.byteLength.toLocaleString('en-US')} bytes; AWS Secrets Manager stores at most ${MAX_VALUE_BYTES.toLocaleString('en-US')} bytes per value. ` +
          'Store a smaller value, or store it elsewhere and keep a reference here.',
      );
    }
    if (value.byteLength === 0) {
      throw new UnsupportedOperationError(`Secret ${JSON.stringify(name)} is empty; AWS Secrets Manager needs a SecretString or SecretBinary of at least 1 byte. Store a non-empty value.`);
    }
    const token = options.token ?? randomUUID();
    if (!VERSION_ID.test(token)) {
      throw new ConfigError(`The idempotency token for secret ${JSON.stringify(name)} must be 32-64 printable ASCII characters (AWS ClientRequestToken); it has ${token.length}.`);
    }
    const isPending = options.pending === true;
    if (isPending && options.expectedVersion === '0') {
      throw new ConfigError(`A pending write of secret ${JSON.stringify(name)} needs an existing secret, so it cannot be combined with expectedVersion '0' (must not exist).`);
    }
    // expectedVersion '0' is CreateSecret, which is atomic in AWS (ResourceExistsException when the name exists).
    if (options.expectedVersion === '0') return this.#create(name, id, token, value, options.signal);
    if (options.expectedVersion !== undefined) await this.#checkExpectedVersion(name, options.expectedVersion);
    try {
      return await this.#putValue(name, id, token, value, isPending, options.signal);
    } catch (error) {
      if (!hasCode(error, SecretNotFoundError.code)) throw error;
      if (isPending) {
        throw new SecretNotFoundError(`Secret ${JSON.stringify(name)} does not exist, so no pending version can be staged; write a current value first (put without pending).`, {
          cause: error,
        });
      }
      if (options.expectedVersion !== undefined) {
        throw new ConflictError(`Secret ${JSON.stringify(name)} was deleted after its version was checked; read it again and retry.`, { cause: error });
      }
    }
    try {
      return await this.#create(name, id, token, value, options.signal);
    } catch (error) {
      // Another writer created it between our two calls: add our value as a new version instead. If that writer
      // used our token with another value, this fails with ConflictError too, as it should.
      if (!hasCode(error, ConflictError.code)) throw error;
      return this.#putValue(name, id, token, value, isPending, options.signal);
    }
  }

  async listVersions(name: string): Promise<VersionInfo[]> {
    const id = this.#backendName(name);
    const versions: VersionInfo[] = [];
    await this.#paginate('ListSecretVersionIds', name, async (token) => {
      const input: SecretsManager.ListSecretVersionIdsCommandInput = { SecretId: id, IncludeDeprecated: true, MaxResults: 100, ...(token !== undefined ? { NextToken: token } : {}) };
      const out = await this.#call('ListSecretVersionIds', name, 'read', (signal) => this.#client.send(new this.#sdk.ListSecretVersionIdsCommand(input), { abortSignal: signal }));
      for (const v of out.Versions ?? []) {
        if (typeof v.VersionId !== 'string') continue;
        const stages = stringsOf(v.VersionStages);
        const info: VersionInfo = { version: v.VersionId, stages, state: stateOf(stages) };
        if (isDate(v.CreatedDate)) info.createdAt = v.CreatedDate;
        versions.push(info);
      }
      return out.NextToken;
    });
    // Newest first; equal timestamps (AWS has second precision) fall back to the stage order.
    return versions.sort((a, b) => (b.createdAt?.getTime() ?? 0) - (a.createdAt?.getTime() ?? 0) || STATE_ORDER[a.state] - STATE_ORDER[b.state]);
  }

  async list(prefix: string): Promise<string[]> {
    this.#checkOpen();
    if (!LOGICAL_PREFIX.test(prefix) || prefix.startsWith('/') || prefix.includes('//')) {
      throw new InvalidSecretNameError(`List prefix ${JSON.stringify(prefix.slice(0, 80))} is not a logical name prefix: use /-separated segments of ASCII letters, digits and _+=.@-.`);
    }
    const full = this.#config.prefix + prefix;
    const names = new Set<string>();
    await this.#paginate('ListSecrets', undefined, async (token) => {
      const input: SecretsManager.ListSecretsCommandInput = {
        MaxResults: 100,
        // AWS's name filter is a case-insensitive prefix match (moto's a case-sensitive one): narrow here, filter exactly below.
        ...(full !== '' ? { Filters: [{ Key: 'name', Values: [full] }] } : {}),
        ...(token !== undefined ? { NextToken: token } : {}),
      };
      const out = await this.#call('ListSecrets', undefined, 'read', (signal) => this.#client.send(new this.#sdk.ListSecretsCommand(input), { abortSignal: signal }));
      for (const s of out.SecretList ?? []) {
        if (typeof s.Name === 'string' && s.Name.startsWith(full) && s.DeletedDate === undefined) names.add(s.Name.slice(this.#config.prefix.length));
      }
      return out.NextToken;
    });
    return [...names].sort();
  }

  async delete(name: string, options: DeleteOptions = {}): Promise<void> {
    const id = this.#backendName(name);
    if (options.versions !== undefined) {
      throw new UnsupportedOperationError(
        `AWS Secrets Manager cannot delete single versions (secret ${JSON.stringify(name)}). Move the staging labels off a version instead ` +
          '(updateStage): AWS deprecates a version without labels and removes it in time.',
      );
    }
    const input: SecretsManager.DeleteSecretCommandInput =
      options.permanent === true ? { SecretId: id, ForceDeleteWithoutRecovery: true } : { SecretId: id, RecoveryWindowInDays: this.#config.recoveryWindowDays };
    try {
      await this.#call('DeleteSecret', name, 'write', (signal) => this.#client.send(new this.#sdk.DeleteSecretCommand(input), { abortSignal: signal }));
    } catch (error) {
      // Idempotent: a secret that is gone, or already scheduled for deletion, is what the caller asked for.
      if (hasCode(error, SecretNotFoundError.code)) return;
      if (options.permanent !== true && hasCode(error, ConflictError.code) && causeName(error) === 'InvalidRequestException') return;
      throw error;
    }
  }

  async health(): Promise<void> {
    await this.#call('ListSecrets', undefined, 'read', (signal) => this.#client.send(new this.#sdk.ListSecretsCommand({ MaxResults: 1 }), { abortSignal: signal }));
  }

  async close(): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    for (const client of this.#clients) client.destroy();
  }

  /**
   * Move (or remove) a staging label: UpdateSecretVersionStage. Moving AWSCURRENT needs `removeFromVersion` (the
   * version that has it now); AWS then moves AWSPREVIOUS to that version itself. Pass `moveToVersion` undefined to
   * only remove a label (for example AWSPENDING after a rotation).
   *
   * @example
   * ```ts
   * await client.updateStage('DB_PASSWORD', 'AWSCURRENT', pendingId, currentId); // promote
   * await client.updateStage('DB_PASSWORD', 'AWSPENDING', undefined, pendingId); // clear pending
   * ```
   */
  async updateStage(name: string, stage: string, moveToVersion: string | undefined, removeFromVersion?: string): Promise<void> {
    const id = this.#backendName(name);
    if (!STAGE.test(stage)) throw new ConfigError(`A staging label must be 1-256 printable ASCII characters (secret ${JSON.stringify(name)}).`);
    if (moveToVersion === undefined && removeFromVersion === undefined) {
      throw new ConfigError(`updateStage of secret ${JSON.stringify(name)} needs moveToVersion, removeFromVersion or both.`);
    }
    if (moveToVersion !== undefined) this.#checkVersionId(name, moveToVersion);
    if (removeFromVersion !== undefined) this.#checkVersionId(name, removeFromVersion);
    const input: SecretsManager.UpdateSecretVersionStageCommandInput = {
      SecretId: id,
      VersionStage: stage,
      ...(moveToVersion !== undefined ? { MoveToVersionId: moveToVersion } : {}),
      ...(removeFromVersion !== undefined ? { RemoveFromVersionId: removeFromVersion } : {}),
    };
    await this.#call('UpdateSecretVersionStage', name, 'write', (signal) => this.#client.send(new this.#sdk.UpdateSecretVersionStageCommand(input), { abortSignal: signal }));
  }

  /**
   * The secret's labelled versions, tags and dates in one DescribeSecret call (metadata only, never a value).
   * Rotation reads its state and its schedule (a tag) from this. A secret scheduled for deletion is not found.
   *
   * @example
   * ```ts
   * const { versions, tags } = await client.describe('DB_PASSWORD');
   * ```
   */
  async describe(name: string): Promise<AwsSecretDescription> {
    const id = this.#backendName(name);
    const out = await this.#call('DescribeSecret', name, 'read', (signal) => this.#client.send(new this.#sdk.DescribeSecretCommand({ SecretId: id }), { abortSignal: signal }));
    if (out.DeletedDate !== undefined) {
      throw new SecretNotFoundError(`Secret ${JSON.stringify(name)} is scheduled for deletion in AWS Secrets Manager; restore it with RestoreSecret if it is still needed.`);
    }
    const versions = new Map<string, string[]>();
    for (const [version, stages] of Object.entries(out.VersionIdsToStages ?? {})) versions.set(version, stringsOf(stages));
    const tags: Record<string, string> = {};
    for (const tag of out.Tags ?? []) if (typeof tag.Key === 'string' && typeof tag.Value === 'string') tags[tag.Key] = tag.Value;
    const description: AwsSecretDescription = { versions, tags };
    if (isDate(out.CreatedDate)) description.createdAt = out.CreatedDate;
    if (isDate(out.LastChangedDate)) description.lastChangedAt = out.LastChangedDate;
    return description;
  }

  /**
   * Set tags of the secret (TagResource; other tags stay). Tag values hold letters, digits, spaces and `_.:/=+-@`,
   * at most 256 characters; keys must not start with `aws:`.
   *
   * @example
   * ```ts
   * await client.tag('DB_PASSWORD', { 'vc-rotation': 'v1 every=30d' });
   * ```
   */
  async tag(name: string, tags: Record<string, string>): Promise<void> {
    const id = this.#backendName(name);
    const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    if (Tags.length === 0) return;
    await this.#call('TagResource', name, 'write', (signal) => this.#client.send(new this.#sdk.TagResourceCommand({ SecretId: id, Tags }), { abortSignal: signal }));
  }

  /**
   * Remove tags of the secret by key (UntagResource). Keys that are not set are ignored.
   *
   * @example
   * ```ts
   * await client.untag('DB_PASSWORD', ['vc-rotation']);
   * ```
   */
  async untag(name: string, keys: readonly string[]): Promise<void> {
    const id = this.#backendName(name);
    if (keys.length === 0) return;
    await this.#call('UntagResource', name, 'write', (signal) => this.#client.send(new this.#sdk.UntagResourceCommand({ SecretId: id, TagKeys: [...keys] }), { abortSignal: signal }));
  }

  async #batchChunk(
    chunk: readonly string[],
    logicalOf: ReadonlyMap<string, string>,
    result: { found: Map<string, FetchedSecret>; errors: Map<string, SecretsError>; one: string[] },
    callerSignal: AbortSignal | undefined,
    isThrottleFinal = false,
  ): Promise<void> {
    await this.#paginate('BatchGetSecretValue', undefined, async (token) => {
      const input = buildBatchGetInput(chunk, token);
      const out = await this.#call('BatchGetSecretValue', undefined, 'read', (signal) => this.#client.send(new this.#sdk.BatchGetSecretValueCommand(input), { abortSignal: signal }), {
        signal: callerSignal,
        isThrottleFinal,
      });
      for (const entry of out.SecretValues ?? []) {
        const name = typeof entry.Name === 'string' ? logicalOf.get(entry.Name) : undefined;
        if (name === undefined || entry.Name === undefined) {
          entry.SecretBinary?.fill(0);
          continue;
        }
        // moto answers a batch with its stale default version after UpdateSecretVersionStage; real AWS never
        // returns a version without AWSCURRENT here. Re-read those by stage.
        if (Array.isArray(entry.VersionStages) && !entry.VersionStages.includes(CURRENT)) {
          entry.SecretBinary?.fill(0);
          result.one.push(entry.Name);
          continue;
        }
        try {
          result.found.set(name, this.#toFetched(name, entry));
        } catch (error) {
          result.errors.set(name, error as SecretsError);
        }
      }
      for (const failure of out.Errors ?? []) {
        const name = typeof failure.SecretId === 'string' ? logicalOf.get(failure.SecretId) : undefined;
        if (name === undefined || failure.SecretId === undefined || result.found.has(name)) continue;
        const error = mapAwsError({ name: failure.ErrorCode, message: failure.Message, $fault: 'client' }, this.#errorOptions('BatchGetSecretValue', name, 'read'));
        // A throttled or failed single secret gets its own retried GetSecretValue.
        if (error.code === ProviderUnavailableError.code) result.one.push(failure.SecretId);
        else result.errors.set(name, error);
      }
      return out.NextToken;
    });
  }

  async #create(name: string, id: string, token: string, value: Uint8Array, signal: AbortSignal | undefined): Promise<{ version: string }> {
    const input: SecretsManager.CreateSecretCommandInput = { Name: id, ClientRequestToken: token, ...toPayload(value) };
    const out = await this.#call('CreateSecret', name, 'write', (s) => this.#client.send(new this.#sdk.CreateSecretCommand(input), { abortSignal: s }), {
      signal,
      carriesValue: true,
    });
    return { version: typeof out.VersionId === 'string' && out.VersionId !== '' ? out.VersionId : token };
  }

  async #putValue(name: string, id: string, token: string, value: Uint8Array, isPending: boolean, signal: AbortSignal | undefined): Promise<{ version: string }> {
    const input: SecretsManager.PutSecretValueCommandInput = {
      SecretId: id,
      ClientRequestToken: token,
      ...toPayload(value),
      ...(isPending ? { VersionStages: [PENDING] } : {}),
    };
    const out = await this.#call('PutSecretValue', name, 'write', (s) => this.#client.send(new this.#sdk.PutSecretValueCommand(input), { abortSignal: s }), {
      signal,
      carriesValue: true,
    });
    return { version: typeof out.VersionId === 'string' && out.VersionId !== '' ? out.VersionId : token };
  }

  async #checkExpectedVersion(name: string, expected: string): Promise<void> {
    let current: string | undefined;
    try {
      current = await this.currentVersion(name);
    } catch (error) {
      if (!hasCode(error, SecretNotFoundError.code)) throw error;
    }
    if (current !== expected) {
      throw new ConflictError(
        `Secret ${JSON.stringify(name)} is at version ${current ?? 'none (it does not exist)'}, not the expected ${JSON.stringify(expected.slice(0, 64))}; ` +
          'read it again and retry. (AWS has no atomic check-and-set: this check narrows the race, the idempotency token makes retries safe.)',
      );
    }
  }

  /** Run a paginated call until the backend stops giving a token; a repeated token is a backend bug, not a loop. */
  async #paginate(operation: string, name: string | undefined, page: (token: string | undefined) => Promise<string | undefined>): Promise<void> {
    const seen = new Set<string>();
    let token: string | undefined;
    for (let n = 0; n < MAX_PAGES; n++) {
      const next = await page(token);
      if (typeof next !== 'string' || next === '') return;
      if (seen.has(next)) break;
      seen.add(next);
      token = next;
    }
    throw new ProviderResponseError(`AWS Secrets Manager ${operation}${name !== undefined ? ` for secret ${JSON.stringify(name)}` : ''} kept returning pages (repeated or endless NextToken).`);
  }

  /** One backend call with the retry policy, every failure mapped to a typed error. */
  async #call<T>(
    operation: string,
    name: string | undefined,
    mode: Mode,
    send: (signal: AbortSignal) => Promise<T>,
    options: { signal?: AbortSignal | undefined; carriesValue?: boolean; isThrottleFinal?: boolean } = {},
  ): Promise<T> {
    this.#checkOpen();
    const callerSignal = options.signal;
    const errorOptions = this.#errorOptions(operation, name, mode, options.carriesValue === true);
    const subject = name !== undefined ? `secret ${JSON.stringify(name)}` : 'the request';
    if (isAborted(callerSignal)) throw new ProviderUnavailableError(`AWS Secrets Manager ${operation} for ${subject} was aborted by the caller before it started.`);
    let attempts = 0;
    try {
      return await withRetry(
        async (signal) => {
          attempts++;
          const used = this.#current;
          try {
            return await send(callerSignal !== undefined ? AbortSignal.any([signal, callerSignal]) : signal);
          } catch (error) {
            const mapped = mapAwsError(error, errorOptions);
            if (isRetryableByDefault(mapped)) this.#failOver(used, operation);
            throw mapped;
          }
        },
        {
          retries: this.#config.retries,
          baseMs: this.#config.backoffMs,
          maxDelayMs: this.#config.maxBackoffMs,
          deadlineMs: this.#config.deadlineMs,
          timeoutMs: this.#config.timeoutMs,
          // A referenced timer: withRetry's default sleep is unref'd, and idle keep-alive sockets are too, so a
          // process (or the preload's worker) with nothing else pending would exit in the middle of a backoff.
          sleep: refSleep,
          // isThrottleFinal: the caller has a cheaper way than retrying a throttled call (a batch falls back to
          // single reads), so a throttled attempt is not repeated.
          isRetryable: (error) => !isAborted(callerSignal) && isRetryableByDefault(error) && !(options.isThrottleFinal === true && ProviderUnavailableError.isThrottling(error)),
          onRetry: ({ attempt, delayMs, error }) =>
            this.#logger?.warn({ provider: 'aws', operation, name, attempt, delayMs, code: SecretsError.is(error) ? error.code : 'unknown' }, 'AWS Secrets Manager call failed; retrying'),
        },
      );
    } catch (error) {
      if (isAborted(callerSignal)) {
        const reason: unknown = callerSignal?.reason;
        const why = SecretsError.is(reason) ? ` ${reason.message}` : '';
        throw new ProviderUnavailableError(`AWS Secrets Manager ${operation} for ${subject} was aborted by the caller.${why}`, {
          cause: SecretsError.is(error) ? error : undefined,
          isThrottled: ProviderUnavailableError.isThrottling(error) || ProviderUnavailableError.isThrottling(reason),
        });
      }
      if (SecretsError.is(error) && error.code === ProviderUnavailableError.code) {
        // withRetry's own timeout error names no call; say which one, and how hard we tried.
        const what = error.message.startsWith('AWS Secrets Manager') ? error.message : `AWS Secrets Manager ${operation} for ${subject} timed out after ${this.#config.timeoutMs} ms.`;
        throw new ProviderUnavailableError(`${what} Gave up after ${attempts} attempt(s) (retries=${this.#config.retries}, deadlineMs=${this.#config.deadlineMs}).`, {
          cause: error.cause ?? error,
          isThrottled: ProviderUnavailableError.isThrottling(error),
        });
      }
      throw error;
    }
  }

  /** The endpoint at index `used` was unavailable: the next attempt (of any call) goes to the next endpoint. */
  #failOver(used: number, operation: string): void {
    if (this.#clients.length < 2 || this.#current !== used) return;
    this.#current = (used + 1) % this.#clients.length;
    const endpoints = this.#config.endpoints ?? [];
    this.#logger?.warn({ provider: 'aws', operation, from: endpoints[used], to: endpoints[this.#current] }, 'AWS Secrets Manager endpoint unavailable; the next attempt uses another endpoint');
  }

  #errorOptions(operation: string, name: string | undefined, mode: Mode, carriesValue = false): MapAwsErrorOptions {
    return { operation, ...(name !== undefined ? { name } : {}), region: this.#config.region, prefix: this.#config.prefix, mode, carriesValue };
  }

  #toFetched(name: string, entry: ValueEntry): FetchedSecret {
    if (typeof entry.VersionId !== 'string' || entry.VersionId === '') {
      entry.SecretBinary?.fill(0);
      throw new ProviderResponseError(`AWS Secrets Manager returned secret ${JSON.stringify(name)} without a VersionId; check that the endpoint is Secrets Manager.`);
    }
    let value: Buffer;
    if (entry.SecretBinary instanceof Uint8Array) {
      value = Buffer.from(entry.SecretBinary);
      // The SDK's decoded copy is ours to wipe; the caller gets its own.
      entry.SecretBinary.fill(0);
    } else if (typeof entry.SecretString === 'string') {
      value = Buffer.from(entry.SecretString, 'utf8');
    } else {
      throw new ProviderResponseError(
        `AWS Secrets Manager returned version ${entry.VersionId} of secret ${JSON.stringify(name)} with no SecretString or SecretBinary ` +
          '(for example a rotation without a rotation function left an empty version); write a value or move AWSCURRENT back.',
      );
    }
    const fetched: FetchedSecret = { value, version: entry.VersionId, stages: stringsOf(entry.VersionStages) };
    if (isDate(entry.CreatedDate)) fetched.createdAt = entry.CreatedDate;
    return fetched;
  }

  #backendName(name: string): string {
    this.#checkOpen();
    return validateAwsSecretName(name, this.#config.prefix);
  }

  #checkVersionId(name: string, version: string): void {
    if (typeof version !== 'string' || !VERSION_ID.test(version)) {
      throw new SecretNotFoundError(
        `Secret ${JSON.stringify(name)} has no version ${JSON.stringify(String(version).slice(0, 70))}: AWS version ids are 32-64 printable ASCII characters.`,
      );
    }
  }

  #checkOpen(): void {
    if (this.#isClosed) throw new ProviderUnavailableError('This AWS Secrets Manager client was closed; create a new one.');
  }
}

/** Valid UTF-8 goes in SecretString (readable by every AWS tool and the CSI driver), anything else in SecretBinary. */
function toPayload(value: Uint8Array): Payload {
  try {
    return { SecretString: new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(value) };
  } catch {
    return { SecretBinary: value };
  }
}

function stateOf(stages: readonly string[]): VersionInfo['state'] {
  if (stages.includes(CURRENT)) return 'current';
  if (stages.includes(PENDING)) return 'pending';
  if (stages.includes(PREVIOUS)) return 'previous';
  return stages.length === 0 ? 'retired' : 'other';
}

function stringsOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
}

function isDate(value: unknown): value is Date {
  return value instanceof Date && !Number.isNaN(value.getTime());
}

function refSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// A function, not an inline check: TypeScript would keep a narrowing of `aborted` across awaits.
function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

function hasCode(error: unknown, code: string): boolean {
  return SecretsError.is(error) && error.code === code;
}

function causeName(error: unknown): string | undefined {
  const cause = SecretsError.is(error) ? error.cause : undefined;
  return cause instanceof Error ? cause.name : undefined;
}

/** The batch call itself was refused by IAM (not bad credentials): reading one by one may still be allowed. */
function isAccessDenied(error: unknown): boolean {
  return hasCode(error, ProviderAuthError.code) && (causeName(error) === 'AccessDeniedException' || causeName(error) === 'AccessDenied');
}

/** Run `fn` over `items`, at most `limit` at a time; the first failure is thrown after the running ones settle. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await fn(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  // TypeScript does not see the assignment inside the workers.
  const settled = failure as { error: unknown } | undefined;
  if (settled !== undefined) throw settled.error;
}
