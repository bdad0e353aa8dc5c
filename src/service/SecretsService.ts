import type { AuthorizeResult, DenyReason } from '../access/AuthorizeResult';
import type { Authorizer } from '../access/Authorizer';
import { isValidSecretName } from '../access/isValidSecretName';
import { isValidTenantId } from '../access/isValidTenantId';
import type { Permission } from '../access/Permission';
import { validateSecretName } from '../access/validateSecretName';
import { validateTenantId } from '../access/validateTenantId';
import type { AuditAction } from '../audit/AuditEvent';
import type { AuditEventInput } from '../audit/AuditEventInput';
import type { SecretsMetrics } from '../metrics/SecretsMetrics';
import type { AuditTrail } from '../audit/AuditTrail';
import { CacheClosedError } from '../cache/CacheClosedError';
import { cacheKey } from '../cache/cacheKey';
import type { CacheMeta, SecretCache } from '../cache/SecretCache';
import { ForbiddenError } from '../errors/ForbiddenError';
import { InvalidSecretNameError } from '../errors/InvalidSecretNameError';
import { SecureArena, endLeaseWhenDone, type LockedSlice } from '../memory/SecureArena';
import type { DeleteOptions, PutOptions, VersionInfo } from '../providers/Provider';
import type { ProviderClient } from '../providers/Provider';
import type { RotateOptions } from '../rotation/RotateOptions';
import type { RotationResult } from '../rotation/RotationResult';
import type { SecretRotator } from '../rotation/SecretRotator';
import { RotationScheduler, type RotateDueProgress, type RotateDueReport, type RotationTarget, type RotationTargetContext } from '../rotation/RotationScheduler';
import type { RotationPolicy } from '../rotation/RotationPolicy';
import type { RotationStepEvent } from '../rotation/RotationStepEvent';
import type { VersionViews } from '../rotation/VersionViews';
import type { ProviderRouter } from './ProviderRouter';
import type { RequestContext } from './RequestContext';
import { SecretCopy } from './SecretCopy';
import { errorCode, TenantCall, type AuditWrite } from './TenantCall';
import type { TenantPaths } from './TenantPaths';

/** Options of a read (`get`, `use`). */
export interface ReadOptions {
  /** A provider version id; default the current version. */
  version?: string;
}

/** Options of `set`. */
export interface SetOptions {
  /** Check-and-set: fail with ConflictError unless this is the current version (`'0'`: the secret must not exist). */
  expectedVersion?: string;
  /** Idempotency token (`[A-Za-z0-9_-]`, 32-64 characters): the same token and value again is a no-op. */
  token?: string;
}

/** Options of `delete`. */
export interface DeleteSecretOptions {
  /** Delete only these versions (where the backend allows); default the whole secret. */
  versions?: string[];
  /** Remove for good, without the backend's recovery window. */
  permanent?: boolean;
}

/** Options of `rollback`. */
export interface RollbackSecretOptions {
  /** The version to make current again; default the previous one. */
  version?: string;
}

/** Options of `rotateDue`. */
export interface RotateDueServiceOptions {
  /** Only these tenants (each authorised for `secrets:rotate`). Default: every tenant found under `tenantsPath`. */
  tenants?: readonly string[];
  /** Secrets in flight at once. Default 8. */
  concurrency?: number;
  onProgress?: (progress: RotateDueProgress) => void;
  /** Writes per second per provider client (default per backend, see RotationScheduler). */
  writesPerSecond?: number;
  /** Policy for secrets without a stored one. Default: those are not rotated. */
  defaultPolicy?: RotationPolicy;
  /** Evaluate due times as of this clock (ms since the epoch). Default Date.now. */
  now?: () => number;
  /** Options of each rotation (generator, verify, gracePeriodMs, ...); state and writeLimiter come from the scheduler. */
  rotate?: Omit<RotateOptions, 'state' | 'writeLimiter'>;
  signal?: AbortSignal;
}

/** The `RotateDueReport` of the scheduler; target ids are `<tenant>/<name>`. */
export type RotateDueServiceReport = RotateDueReport;

/** What `use` hands to its callback: the borrowed view and facts about it (never the value). */
export type UseCallback<R> = (view: Buffer, meta: CacheMeta) => R;

/** What the service is made of; built and checked by createSecretsService. @internal */
export interface SecretsServiceParts {
  paths: TenantPaths;
  router: ProviderRouter;
  authorizer: Authorizer;
  trail: AuditTrail;
  /** The trail syncs in batches: events are written with `await trail.record()`, never recordSync. */
  isBatch: boolean;
  cache: SecretCache;
  isCacheOwned: boolean;
  arena: SecureArena | undefined;
  metrics?: SecretsMetrics;
}

const PERMISSION_OF: Record<string, string> = {
  'secrets.get': 'secrets:read',
  'secrets.use': 'secrets:read',
  'secrets.versions': 'secrets:read',
  'secrets.set': 'secrets:write',
  'secrets.delete': 'secrets:delete',
  'secrets.list': 'secrets:list',
  'secrets.rollback': 'secrets:rotate',
};

/**
 * Every event passes through the audit write, so metrics are counted there: one place, the same facts as the
 * audit record (never a value, name or tenant).
 */
function countingWrite<T>(write: (input: AuditEventInput) => T, metrics: SecretsMetrics): (input: AuditEventInput) => T {
  const count = (input: AuditEventInput) => {
    const action = String(input.action);
    if (input.cache === 'hit' || input.cache === 'miss' || input.cache === 'stale') metrics.cacheRequests.inc({ result: input.cache });
    if (input.outcome === 'denied') metrics.denials.inc({ permission: PERMISSION_OF[action] ?? (action.startsWith('secrets.rotate') ? 'secrets:rotate' : 'other') });
    if (action === 'secrets.rotate.promote' && input.outcome === 'allowed') metrics.rotations.inc({ outcome: 'ok' });
    if (action.startsWith('secrets.rotate.') && action !== 'secrets.rotate.rollback' && input.outcome === 'failed') metrics.rotations.inc({ outcome: 'failed' });
  };
  return (input) => {
    let result: T;
    try {
      result = write(input);
    } catch (error) {
      metrics.auditFailures.inc();
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (v) => {
          count(input);
          return v;
        },
        (error: unknown) => {
          metrics.auditFailures.inc();
          throw error;
        },
      ) as T;
    }
    count(input);
    return result;
  };
}

/** Audit action of a rotation step event. */
const stepAction = (e: RotationStepEvent, rollbackAction: AuditAction): AuditAction => (e.step === 'rollback' ? rollbackAction : `secrets.rotate.${e.step}`);

/** Marks a tenant-wide call (`list`): no secret name to validate or authorise. */
const TENANT_WIDE: unique symbol = Symbol('tenant-wide');
const VERSION_ID = /^[A-Za-z0-9_-]{1,128}$/;
const TOKEN = /^[A-Za-z0-9_-]{32,64}$/;
/** Longer hostile input is audited without its reference (an HMAC over megabytes buys nothing). */
const MAX_AUDITED_INPUT = 1024;
const DENY_REASONS: ReadonlySet<string> = new Set<DenyReason>([
  'unknown-permission',
  'invalid-tenant',
  'invalid-name',
  'invalid-actor',
  'no-grant',
  'tenant-not-granted',
  'name-not-granted',
  'resolver-denied',
  'resolver-error',
]);
const RESOLVER_ERROR: AuthorizeResult = Object.freeze({ allowed: false, permission: '', reason: 'resolver-error' });

/** Input checked in step 1 besides the tenant id and the name. */
interface ExtraInput {
  versions?: readonly unknown[];
  token?: unknown;
}

const auditable = (value: unknown): string | null => (typeof value === 'string' && value.length <= MAX_AUDITED_INPUT ? value : null);
const requestIdOf = (ctx: RequestContext | undefined): string | null => auditable((ctx as { requestId?: unknown } | undefined)?.requestId);
const actorOf = (ctx: RequestContext | undefined): AuditEventInput['actor'] => (ctx as { actor?: AuditEventInput['actor'] } | undefined)?.actor ?? { id: '', roles: [] };

/**
 * The one choke point of multi-tenant secret access. Every method takes the request context first and runs the
 * same steps (numbered as in the code):
 * 1. **Validate** the tenant id, the name and the other input (strict alphabets and lengths, no `..`, no
 *    separators): hostile input is refused with InvalidSecretNameError, audited as denied (`invalid-tenant`,
 *    `invalid-name`, `invalid-version`, `invalid-token`), and reaches neither the policy nor the cache nor a provider.
 * 2. **Authorise** (deny by default) before touching cache or provider: a denial is audited and throws the same
 *    ForbiddenError whether or not the secret exists, so it is no existence oracle. Access that relies on a
 *    platform (cross-tenant) role is audited with `crossTenant: true`.
 * 3. **Audit**: exactly one event per call, allowed, denied or failed, cache hits included. A read is recorded
 *    before the value is lent: when the event cannot be written and the trail fails closed, the value is never
 *    handed out (AuditWriteError). A write or delete is recorded once the backend answered (the event holds the
 *    outcome and the new version).
 * 4. **Cache**: reads go through the SecretCache, keyed by client and tenant path (tenants never share entries);
 *    writes and deletes invalidate every cached version of the secret at once.
 * 5. **Provider**: the client routed for the tenant, with the logical path
 *    `{prefix}/{environment}/tenants/{tenantId}/{name}`; the adapter maps it to its backend's rules.
 *
 * Adding a method (rotation, rollback): get a {@link TenantCall} from `#begin` (steps 1-2), do the work, report it
 * with `call.allowed()` / `call.failed()` (step 3), and invalidate the cache after any change with `#invalidate`.
 *
 * @example
 * ```ts
 * const service = createSecretsService({ providers: client, policy: 'policy.yaml', audit: trail, environment: 'prod' });
 * const ctx = { actor: { id: 'svc-billing', roles: ['billing'] }, requestId: 'req-42' };
 * const receipt = await service.use(ctx, 'acme', 'STRIPE_KEY', (key) => sign(key, order));
 * ```
 */
export class SecretsService {
  readonly #paths: TenantPaths;
  readonly #router: ProviderRouter;
  readonly #authorizer: Authorizer;
  readonly #trail: AuditTrail;
  readonly #isBatch: boolean;
  readonly #write: AuditWrite;
  readonly #cache: SecretCache;
  readonly #isCacheOwned: boolean;
  #arena: SecureArena | undefined;
  #isClosed = false;
  /** One SecretRotator per provider client (RotationScheduler#rotatorFor), and the scheduler of rotateDue. */
  readonly #rotation = new RotationScheduler();

  /** Use {@link createSecretsService}, which checks the options and builds the parts. */
  constructor(parts: SecretsServiceParts) {
    this.#paths = parts.paths;
    this.#router = parts.router;
    this.#authorizer = parts.authorizer;
    this.#trail = parts.trail;
    this.#isBatch = parts.isBatch;
    const trail = parts.trail;
    const write = parts.isBatch ? (input: AuditEventInput) => trail.record(input) : (input: AuditEventInput) => trail.recordSync(input);
    this.#write = parts.metrics ? countingWrite(write, parts.metrics) : write;
    this.#cache = parts.cache;
    this.#isCacheOwned = parts.isCacheOwned;
    this.#arena = parts.arena;
  }

  /** The logical path prefix of every tenant: `{prefix}/{environment}/tenants/`. */
  get tenantsPath(): string {
    return this.#paths.base;
  }

  /**
   * Reads a secret (permission `secrets:read`) and returns a copy of it in ordinary memory, whose printing forms
   * are redacted. Prefer {@link use}, which keeps the value in locked memory.
   *
   * @example
   * ```ts
   * const copy = await service.get(ctx, 'acme', 'WEBHOOK_SECRET');
   * try { verify(body, copy.bytes()) } finally { copy.dispose() }
   * ```
   */
  async get(ctx: RequestContext, tenantId: string, name: string, options: ReadOptions = {}): Promise<SecretCopy> {
    const version = options?.version;
    const begun = this.#begin(ctx, tenantId, name, 'secrets:read', 'secrets.get', { versions: [version] });
    const call = begun instanceof Promise ? await begun : begun;
    return this.#read(call, version, (view, meta) => new SecretCopy(view, meta));
  }

  /**
   * Lends the secret (permission `secrets:read`) to `fn` as a view of locked memory, under a lease: the view shows
   * this value, unchanged, until `fn` returns, or until the promise it returns settles (an async callback), even
   * if the secret is set, rotated, invalidated or evicted meanwhile. A view kept after its lease reads this value
   * or zeros, never another secret's or another tenant's bytes. Resolves with what `fn` returns. The audit event
   * is written before `fn` runs; what `fn` does or throws does not change it. Use {@link get} for a copy.
   *
   * @example
   * ```ts
   * const signature = await service.use(ctx, 'acme', 'SIGNING_KEY', (key) => createHmac('sha256', key).update(body).digest('hex'));
   * const charge = await service.use(ctx, 'acme', 'STRIPE_KEY', async (key) => stripe.charge(key, order)); // leased until settled
   * ```
   */
  use<R>(ctx: RequestContext, tenantId: string, name: string, fn: (view: Buffer, meta: CacheMeta) => Promise<R>, options?: ReadOptions): Promise<R>;
  use<R>(ctx: RequestContext, tenantId: string, name: string, fn: UseCallback<R>, options?: ReadOptions): Promise<Awaited<R>>;
  async use<R>(ctx: RequestContext, tenantId: string, name: string, fn: UseCallback<R>, options: ReadOptions = {}): Promise<Awaited<R>> {
    if (typeof fn !== 'function') throw new TypeError('SecretsService.use: fn must be a function (view, meta) => result.');
    const version = options?.version;
    const begun = this.#begin(ctx, tenantId, name, 'secrets:read', 'secrets.use', { versions: [version] });
    const call = begun instanceof Promise ? await begun : begun;
    return this.#read(call, version, fn);
  }

  /**
   * Writes a new version (permission `secrets:write`) and drops every cached version of the secret in this
   * process. `value` is not kept or zeroed by the service: zero your copy when done.
   *
   * @example
   * ```ts
   * const { version } = await service.set(ctx, 'acme', 'STRIPE_KEY', newKey, { expectedVersion: current });
   * ```
   */
  async set(ctx: RequestContext, tenantId: string, name: string, value: Uint8Array, options: SetOptions = {}): Promise<{ version: string }> {
    if (!(value instanceof Uint8Array)) throw new TypeError('SecretsService.set: value must be a Buffer or Uint8Array.');
    const expectedVersion = options?.expectedVersion;
    const token = options?.token;
    const begun = this.#begin(ctx, tenantId, name, 'secrets:write', 'secrets.set', { versions: [expectedVersion], token });
    const call = begun instanceof Promise ? await begun : begun;
    this.#checkAuditSink();
    const putOptions: PutOptions = {};
    if (expectedVersion !== undefined) putOptions.expectedVersion = expectedVersion;
    if (token !== undefined) putOptions.token = token;
    let version: string;
    try {
      ({ version } = await call.route.client.put(call.path, value, putOptions));
    } catch (error) {
      // A failed write may still have landed (a timeout after the backend stored it): never serve the old value.
      this.#invalidate(call);
      await call.failed(error);
      throw error;
    }
    this.#invalidate(call);
    await call.allowed({ version });
    return { version };
  }

  /**
   * Deletes a secret, or some of its versions (permission `secrets:delete`), and drops every cached version of
   * it in this process.
   *
   * @example
   * ```ts
   * await service.delete(ctx, 'acme', 'OLD_API_KEY', { permanent: true });
   * ```
   */
  async delete(ctx: RequestContext, tenantId: string, name: string, options: DeleteSecretOptions = {}): Promise<void> {
    const versions = options?.versions;
    const begun = this.#begin(ctx, tenantId, name, 'secrets:delete', 'secrets.delete', {
      versions: versions === undefined ? [] : Array.isArray(versions) && versions.length > 0 && versions.length <= 100 ? versions : [null],
    });
    const call = begun instanceof Promise ? await begun : begun;
    this.#checkAuditSink();
    const deleteOptions: DeleteOptions = {};
    if (versions !== undefined) deleteOptions.versions = [...versions];
    if (options?.permanent === true) deleteOptions.permanent = true;
    try {
      await call.route.client.delete(call.path, deleteOptions);
    } catch (error) {
      this.#invalidate(call);
      await call.failed(error);
      throw error;
    }
    this.#invalidate(call);
    await call.allowed();
  }

  /**
   * The names of a tenant's secrets that the caller may list (permission `secrets:list`, checked for the tenant
   * and then for each name), sorted. Names the caller may not list are left out without a trace.
   *
   * @example
   * ```ts
   * const names = await service.list(ctx, 'acme'); // ['STRIPE_KEY', 'STRIPE_WEBHOOK']
   * ```
   */
  async list(ctx: RequestContext, tenantId: string): Promise<string[]> {
    const { names } = await this.#listAllowed(ctx, tenantId, 'secrets:list', 'secrets.list');
    return names;
  }

  /**
   * One audited call that lists a tenant's secrets and keeps the names the caller holds `permission` on (checked
   * per name, so name-restricted grants see only their names). Used by `list` and `rotateDue`.
   */
  async #listAllowed(ctx: RequestContext, tenantId: string, permission: Permission, action: AuditAction): Promise<{ names: string[]; client: ProviderClient }> {
    const begun = this.#begin(ctx, tenantId, TENANT_WIDE, permission, action, {});
    const call = begun instanceof Promise ? await begun : begun;
    let paths: string[];
    try {
      paths = await call.route.client.list(call.path);
    } catch (error) {
      await call.failed(error);
      throw error;
    }
    const names = new Set<string>();
    for (const path of paths) {
      const name = this.#paths.nameIn(tenantId, path);
      if (name !== undefined && !names.has(name) && (await this.#isAllowed(ctx, tenantId, permission, name))) names.add(name);
    }
    await call.allowed();
    return { names: [...names].sort(), client: call.route.client };
  }

  /**
   * Version metadata of a secret, newest first, never values (permission `secrets:list`).
   *
   * @example
   * ```ts
   * const [current] = await service.versions(ctx, 'acme', 'STRIPE_KEY'); // { version, createdAt, stages, state }
   * ```
   */
  async versions(ctx: RequestContext, tenantId: string, name: string): Promise<VersionInfo[]> {
    const begun = this.#begin(ctx, tenantId, name, 'secrets:list', 'secrets.versions', {});
    const call = begun instanceof Promise ? await begun : begun;
    let infos: VersionInfo[];
    try {
      infos = await call.route.client.listVersions(call.path);
    } catch (error) {
      await call.failed(error);
      throw error;
    }
    await call.allowed();
    return infos.map((v) => ({ version: v.version, ...(v.createdAt === undefined ? {} : { createdAt: v.createdAt }), stages: [...v.stages], state: v.state }));
  }

  /**
   * Rotates a secret (permission `secrets:rotate`) through the SecretRotator of its provider client: generate,
   * stage, verify, promote, grace, retire (see docs/rotation.md). Every step is audited as its own event
   * (`secrets.rotate.<step>`, `failed` with the error code when it failed; the undo of a failed rotation as
   * `secrets.rotate.rollback`). A refusal is audited as `secrets.rotate.request` (denied) before anything is
   * touched. Every cached version of the secret is dropped afterwards (also after a failure).
   *
   * @example
   * ```ts
   * const { version, graceEndsAt } = await service.rotate(ctx, 'acme', 'DB_PASSWORD', { generator: passwordGenerator({ length: 32 }) });
   * ```
   */
  async rotate(ctx: RequestContext, tenantId: string, name: string, options: RotateOptions = {}): Promise<RotationResult> {
    const begun = this.#begin(ctx, tenantId, name, 'secrets:rotate', 'secrets.rotate.request', {});
    const call = begun instanceof Promise ? await begun : begun;
    return this.#rotating(call, 'secrets.rotate.rollback', (rotator, hooks) => rotator.rotate(call.path, options ?? {}, hooks));
  }

  /**
   * Rolls a secret back to an earlier version (permission `secrets:rotate`; default the previous version),
   * audited as `secrets.rollback` (plus `secrets.rotate.rollback` when a stale pending version was discarded
   * first). Drops every cached version of the secret.
   *
   * @example
   * ```ts
   * await service.rollback(ctx, 'acme', 'DB_PASSWORD');                  // back to the previous version
   * await service.rollback(ctx, 'acme', 'DB_PASSWORD', { version: '3' }); // to version 3
   * ```
   */
  async rollback(ctx: RequestContext, tenantId: string, name: string, options: RollbackSecretOptions = {}): Promise<RotationResult> {
    const version = options?.version;
    const begun = this.#begin(ctx, tenantId, name, 'secrets:rotate', 'secrets.rollback', { versions: [version] });
    const call = begun instanceof Promise ? await begun : begun;
    return this.#rotating(call, 'secrets.rollback', (rotator, hooks) => rotator.rollback(call.path, version === undefined ? {} : { version }, hooks));
  }

  /**
   * Lends the current value and, during the grace period after a rotation, the previous one (permission
   * `secrets:read`), from locked memory for the duration of `fn` (until its promise settles, for an async `fn`); views
   * kept longer read zeros, never another value. One `secrets.use` event (the current version), written before
   * `fn` runs.
   *
   * @example
   * ```ts
   * const ok = await service.useVersions(ctx, 'acme', 'JWT_KEY', ({ current, previous }) => verifyEither(token, current.view, previous?.view));
   * ```
   */
  async useVersions<T>(ctx: RequestContext, tenantId: string, name: string, fn: (views: VersionViews) => T | Promise<T>): Promise<T> {
    if (typeof fn !== 'function') throw new TypeError('SecretsService.useVersions: fn must be a function ({ current, previous }) => result.');
    const begun = this.#begin(ctx, tenantId, name, 'secrets:read', 'secrets.use', {});
    const call = begun instanceof Promise ? await begun : begun;
    let isLent = false;
    try {
      return await this.#rotation.rotatorFor(call.route.client).useVersions(call.path, async (views) => {
        // Recorded before the lend: when the trail fails closed, fn never sees a value.
        await call.allowed({ version: views.current.version, cache: 'none' });
        isLent = true;
        return fn(views);
      });
    } catch (error) {
      if (!isLent) await call.failed(error);
      throw error;
    }
  }

  /**
   * Rotates every secret that is due (its stored rotation policy, see docs/rotation.md) in the given tenants, or in
   * every tenant found under `tenantsPath`, through RotationScheduler.rotateDue with bounded concurrency and the
   * backends' write quotas; continues past failures and returns the scheduler's report (ids `<tenant>/<name>`).
   *
   * Access: each tenant is authorised for `secrets:rotate` and its listing audited as `secrets.rotate.due` (with
   * `crossTenant: true` when only a platform role allows it); each secret is authorised again by name, and each
   * rotation goes through {@link rotate} (every step audited); a retirement after the grace period is audited as
   * `secrets.rotate.retire`. Named tenants the caller may not rotate are refused (ForbiddenError, audited) before
   * any provider call; tenants found by the discovery listing that the caller may not rotate are skipped silently.
   *
   * @example
   * ```ts
   * const report = await service.rotateDue(ctx, { concurrency: 16, onProgress: (p) => bar.update(p.done) });
   * if (report.failures.length > 0) process.exitCode = 1;
   * ```
   */
  async rotateDue(ctx: RequestContext, options: RotateDueServiceOptions = {}): Promise<RotateDueServiceReport> {
    if (this.#isClosed) throw new CacheClosedError('The SecretsService is closed and serves no calls. Create a new one with createSecretsService.');
    const named = options.tenants;
    const targets: (RotationTarget & { tenantId: string; name: string })[] = [];
    const addTenant = async (tenantId: string, isDiscovered: boolean) => {
      if (isDiscovered && !(await this.#isAllowed(ctx, tenantId, 'secrets:rotate'))) return;
      const { names, client } = await this.#listAllowed(ctx, tenantId, 'secrets:rotate', 'secrets.rotate.due');
      for (const name of names) targets.push({ id: `${tenantId}/${name}`, client, path: this.#paths.secret(tenantId, name), tenantId, name });
    };
    if (named !== undefined) {
      if (!Array.isArray(named)) throw new TypeError('SecretsService.rotateDue: tenants must be an array of tenant ids.');
      for (const tenantId of [...new Set(named)]) await addTenant(tenantId, false);
    } else {
      for (const tenantId of await this.#discoverTenants()) await addTenant(tenantId, true);
    }
    const byPath = new Map(targets.map((t) => [t.path, t]));
    const of = (target: RotationTarget) => byPath.get(target.path)!;
    const rotateOptions = options.rotate ?? {};
    return this.#rotation.rotateDue(
      targets,
      (target, context) => {
        const t = of(target);
        return this.rotate(ctx, t.tenantId, t.name, { ...rotateOptions, state: context.state, writeLimiter: context.writeLimiter, ...(context.signal ? { signal: context.signal } : {}) });
      },
      {
        ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
        ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        ...(options.writesPerSecond !== undefined ? { writesPerSecond: options.writesPerSecond } : {}),
        ...(options.defaultPolicy ? { defaultPolicy: options.defaultPolicy } : {}),
        ...(options.now ? { now: options.now } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
        retireFn: (target, context) => this.#retire(ctx, of(target), context),
      },
    );
  }

  /**
   * Stops serving: later calls are refused with CacheClosedError. Closes (and zeroes) the cache when the service
   * created it; a cache, trail or provider client passed in stays open (their owner closes them).
   */
  close(): void {
    this.#isClosed = true;
    if (this.#isCacheOwned) this.#cache.close();
  }

  /** Steps 3-5 of a read: the cache (or the provider behind it), the audit event, then the lend. */
  async #read<R>(call: TenantCall, version: string | undefined, lend: UseCallback<R>): Promise<Awaited<R>> {
    const client = call.route.client;
    const path = call.path;
    const key = cacheKey(call.route.cacheId, path, version ?? '');
    const loader = version === undefined ? () => client.get(path) : () => client.get(path, { version });
    if (!this.#isBatch) {
      try {
        return await this.#cache.use(key, loader, (view, meta) => {
          // Recorded before the lend: when the trail fails closed and the event is not written, this throws and
          // `lend` never sees the value.
          call.allowed({ version: meta.version, cache: meta.cache });
          return lend(view, meta);
        });
      } catch (error) {
        call.failed(error);
        throw error;
      }
    }
    // Batch durability: the event must be synced before the value is lent, and a cache view does not survive an
    // await. Hold a private copy in locked memory meanwhile, zeroed as soon as `lend` returns.
    let held: LockedSlice | undefined;
    let meta: CacheMeta;
    try {
      meta = await this.#cache.use(key, loader, (view, m) => {
        held = (this.#arena ??= new SecureArena()).copyIn(view);
        return m;
      });
    } catch (error) {
      held?.free();
      await call.failed(error);
      throw error;
    }
    const slice = held as LockedSlice;
    let result: R;
    try {
      await call.allowed({ version: meta.version, cache: meta.cache });
      const view = slice.lease();
      try {
        result = lend(view, meta);
      } catch (error) {
        slice.endLease();
        throw error;
      }
      result = endLeaseWhenDone(result, slice);
    } finally {
      // Zeroed when `lend` is done (its promise settled, for an async callback).
      slice.free();
    }
    return await result;
  }

  /**
   * Steps 1 and 2 of every call: validate, then authorise. Returns the allowed call (a promise only when the
   * authoriser or the audit trail answers asynchronously); a refusal is audited and thrown.
   */
  #begin(
    ctx: RequestContext,
    tenantId: unknown,
    name: unknown,
    permission: Permission,
    action: AuditAction,
    extra: ExtraInput,
  ): TenantCall | Promise<TenantCall> {
    const startedAt = performance.now();
    if (this.#isClosed) throw new CacheClosedError('The SecretsService is closed and serves no calls. Create a new one with createSecretsService.');
    const isTenantWide = name === TENANT_WIDE;
    const refuse = (reason: string, error: Error): Promise<never> =>
      this.#refuse({ ...this.#event(ctx, auditable(tenantId), isTenantWide ? null : auditable(name), action, startedAt), outcome: 'denied', reason }, error);
    // 1. Validate.
    if (!isValidTenantId(tenantId)) return refuse('invalid-tenant', inputError(() => validateTenantId(tenantId)));
    if (!isTenantWide && !isValidSecretName(name)) return refuse('invalid-name', inputError(() => validateSecretName(name)));
    for (const version of extra.versions ?? []) {
      if (version !== undefined && !(typeof version === 'string' && VERSION_ID.test(version))) {
        return refuse('invalid-version', new InvalidSecretNameError('The version id is invalid. Version ids are 1 to 128 characters of A-Z a-z 0-9 _ -.'));
      }
    }
    if (extra.token !== undefined && !(typeof extra.token === 'string' && TOKEN.test(extra.token))) {
      return refuse('invalid-token', new InvalidSecretNameError('The idempotency token is invalid. Tokens are 32 to 64 characters of A-Z a-z 0-9 _ -.'));
    }
    const secretName = isTenantWide ? undefined : (name as string);
    // 2. Authorise.
    let answer: AuthorizeResult | Promise<AuthorizeResult>;
    try {
      answer = this.#authorizer.authorize(ctx, tenantId, permission, secretName);
    } catch {
      answer = RESOLVER_ERROR;
    }
    if (isThenable(answer)) {
      return Promise.resolve(answer).then(
        (r) => this.#decide(ctx, tenantId, secretName, permission, action, r, startedAt),
        () => this.#decide(ctx, tenantId, secretName, permission, action, RESOLVER_ERROR, startedAt),
      );
    }
    return this.#decide(ctx, tenantId, secretName, permission, action, answer, startedAt);
  }

  /** Step 2's verdict: audit a denial and throw, or build the allowed call. */
  #decide(
    ctx: RequestContext,
    tenantId: string,
    name: string | undefined,
    permission: Permission,
    action: AuditAction,
    r: AuthorizeResult,
    startedAt: number,
  ): TenantCall | Promise<TenantCall> {
    if (r?.allowed !== true) {
      // Only the fixed vocabulary reaches the trail, whatever a custom authoriser answers.
      const reason = DENY_REASONS.has((r as { reason?: string } | undefined)?.reason as string) ? (r as { reason: string }).reason : 'resolver-denied';
      return this.#refuse({ ...this.#event(ctx, tenantId, name ?? null, action, startedAt), outcome: 'denied', reason }, new ForbiddenError(permission));
    }
    const isCrossTenant = r.crossTenant === true;
    let route;
    try {
      route = this.#router.route(tenantId);
    } catch (error) {
      return this.#refuse({ ...this.#event(ctx, tenantId, name ?? null, action, startedAt), outcome: 'failed', reason: errorCode(error), crossTenant: isCrossTenant }, error as Error);
    }
    return new TenantCall({
      ctx,
      tenantId,
      name,
      action,
      isCrossTenant,
      route,
      path: name === undefined ? this.#paths.tenant(tenantId) : this.#paths.secret(tenantId, name),
      write: this.#write,
      startedAt,
    });
  }

  /** The common fields of a denied or failed event, before a call exists. */
  #event(ctx: RequestContext, tenant: string | null, name: string | null, action: AuditAction, startedAt: number): Omit<AuditEventInput, 'outcome'> {
    return { requestId: requestIdOf(ctx), actor: actorOf(ctx), tenant, action, name, cache: 'none', crossTenant: false, durationMs: performance.now() - startedAt };
  }

  /**
   * Audit a refusal, then throw `error`. A sync trail throws AuditWriteError itself when failing closed (the call
   * is refused either way, and the broken sink is what operators need to hear about).
   */
  #refuse(event: AuditEventInput, error: Error): Promise<never> {
    const written = this.#write(event);
    if (written === undefined) throw error;
    return written.then(() => {
      throw error;
    });
  }

  /** Authorise one listed name; anything but an explicit allow (a throw, a rejection) hides it. */
  async #isAllowed(ctx: RequestContext, tenantId: string, permission: Permission, name?: string): Promise<boolean> {
    try {
      const answer = this.#authorizer.authorize(ctx, tenantId, permission, name);
      const r = isThenable(answer) ? await answer : answer;
      return r?.allowed === true;
    } catch {
      return false;
    }
  }

  /**
   * Before a write or delete with a fail-closed trail: make sure the sink can be opened, so that a broken sink
   * refuses the change instead of letting it happen unaudited. (A write of the event can still fail afterwards,
   * e.g. a full disk; the call then throws AuditWriteError although the change was made.)
   */
  #checkAuditSink(): void {
    if (this.#trail.isFailClosed) this.#trail.open();
  }

  /** Runs a rotation-module operation for an allowed call: one audit event per step, cache dropped afterwards. */
  async #rotating(
    call: TenantCall,
    rollbackAction: AuditAction,
    run: (rotator: SecretRotator, hooks: { onStep: (e: RotationStepEvent) => void | Promise<void> }) => Promise<RotationResult>,
  ): Promise<RotationResult> {
    const onStep = (e: RotationStepEvent) =>
       call.step(stepAction(e, rollbackAction), e.outcome === 'failed' ? 'failed' : 'allowed', {
        ...(e.version !== undefined ? { version: e.version } : {}),
        reason: e.reason ?? (e.outcome === 'ok' ? null : e.outcome),
        durationMs: e.durationMs,
      });
    let rotator: SecretRotator;
    try {
      rotator = this.#rotation.rotatorFor(call.route.client);
    } catch (error) {
      await call.failed(error);
      throw error;
    }
    if (!call.isRecorded) this.#checkAuditSink();
    try {
      const result = await run(rotator, { onStep });
      if (!call.isRecorded) await call.step(call.action, 'allowed', { reason: 'skipped' });
      return result;
    } catch (error) {
      // A failure the rotator could not report through the hook (it reports every step it ran).
      if (!call.isRecorded) await call.failed(error);
      throw error;
    } finally {
      // A promotion (or its undo) changes what is current: never serve the old value from the cache.
      this.#invalidate(call);
    }
  }

  /** rotateDue's retireFn: retire a previous version whose grace period ended, audited as `secrets.rotate.retire`. */
  async #retire(ctx: RequestContext, target: { tenantId: string; name: string; path: string }, context: RotationTargetContext): Promise<unknown> {
    const begun = this.#begin(ctx, target.tenantId, target.name, 'secrets:rotate', 'secrets.rotate.retire', {});
    const call = begun instanceof Promise ? await begun : begun;
    return this.#rotating(call, 'secrets.rotate.rollback', async (rotator, hooks) => {
      await rotator.retireExpired(call.path, { state: context.state, writeLimiter: context.writeLimiter }, hooks);
      return undefined as unknown as RotationResult;
    });
  }

  /** Every tenant id with at least one entry under `tenantsPath`, over every provider client. */
  async #discoverTenants(): Promise<string[]> {
    const tenants = new Set<string>();
    const seen = new Set<ProviderClient>();
    for (const route of this.#router.routes()) {
      if (seen.has(route.client)) continue;
      seen.add(route.client);
      for (const path of await route.client.list(this.#paths.base)) {
        if (typeof path !== 'string' || !path.startsWith(this.#paths.base)) continue;
        const tenantId = path.slice(this.#paths.base.length).split('/')[0]!;
        if (!isValidTenantId(tenantId)) continue;
        // A tenant listed by a client that does not serve it (routing) is not this client's to rotate.
        try {
          if (this.#router.route(tenantId).client === route.client) tenants.add(tenantId);
        } catch {
          // Not routed: skipped.
        }
      }
    }
    return [...tenants].sort();
  }

  /** Drop every cached version of the call's secret (and detach loads in flight), at once. */
  #invalidate(call: TenantCall): void {
    if (!this.#cache.isClosed) this.#cache.invalidateSecret(call.route.cacheId, call.path);
  }
}

function isThenable<T>(value: T | Promise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

/** The InvalidSecretNameError a validator throws for `check`'s input (its message never quotes the input). */
function inputError(check: () => unknown): Error {
  try {
    check();
  } catch (error) {
    return error as Error;
  }
  return new InvalidSecretNameError('The input is invalid.');
}
