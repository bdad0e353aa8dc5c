import type { AuditAction, AuditCacheState } from '../audit/AuditEvent';
import type { AuditEventInput } from '../audit/AuditEventInput';
import { SecretsError } from '../errors/SecretsError';
import type { ProviderRoute } from './ProviderRouter';
import type { RequestContext } from './RequestContext';

/** Writes one audit event: returns when written, or a promise with `batch` durability; throws/rejects AuditWriteError when failing closed. */
export type AuditWrite = (input: AuditEventInput) => void | Promise<void>;

/** What an allowed call adds to its event. */
export interface CallFacts {
  /** Provider version id of the value read or written. */
  version?: string | null;
  cache?: AuditCacheState;
}

/**
 * One call that passed validation and authorisation: everything its audit event needs, and the guarantee that it
 * records exactly one event, `allowed` or `failed` (the service records denials itself, before a call exists).
 * It is the extension point of the service: a new method (rotation, rollback) gets a TenantCall from the
 * service's choke point and reports its outcome here.
 *
 * `allowed` and `failed` return a promise only when the trail syncs in batches; callers await it then.
 *
 * @example
 * ```ts
 * try {
 *   const { version } = await call.route.client.put(call.path, value);
 *   await call.allowed({ version });
 * } catch (error) {
 *   await call.failed(error);
 *   throw error;
 * }
 * ```
 */
export class TenantCall {
  readonly ctx: RequestContext;
  readonly tenantId: string;
  /** The secret name; undefined for tenant-wide calls (`list`). */
  readonly name: string | undefined;
  readonly action: AuditAction;
  /** Allowed only through platform (cross-tenant) rights: recorded as such. */
  readonly isCrossTenant: boolean;
  readonly route: ProviderRoute;
  /** The logical path handed to the provider: the secret's, or the tenant's list prefix (ending in `/`). */
  readonly path: string;
  readonly #write: AuditWrite;
  readonly #startedAt: number;
  #isRecorded = false;

  constructor(init: {
    ctx: RequestContext;
    tenantId: string;
    name: string | undefined;
    action: AuditAction;
    isCrossTenant: boolean;
    route: ProviderRoute;
    path: string;
    write: AuditWrite;
    startedAt: number;
  }) {
    this.ctx = init.ctx;
    this.tenantId = init.tenantId;
    this.name = init.name;
    this.action = init.action;
    this.isCrossTenant = init.isCrossTenant;
    this.route = init.route;
    this.path = init.path;
    this.#write = init.write;
    this.#startedAt = init.startedAt;
  }

  /** Whether the event was written (or its write attempted: a failed write is not retried). */
  get isRecorded(): boolean {
    return this.#isRecorded;
  }

  /**
   * Records the call as allowed. For reads, call it before lending the value: when it throws (fail-closed), the
   * value must not be handed out. Throws if the call's event was recorded already (a programming error).
   */
  allowed(facts: CallFacts = {}): void | Promise<void> {
    if (this.#isRecorded) throw new Error(`SecretsService: the audit event of this ${this.action} call was recorded already.`);
    return this.#record('allowed', null, facts);
  }

  /**
   * Records one step of a multi-step call (rotation: `secrets.rotate.<step>`, `secrets.rollback`) as its own event,
   * with the call's actor, tenant, secret and crossTenant flag. May be called once per step; afterwards the call
   * counts as recorded (a later `failed()` is a no-op, `allowed()` throws). `reason` is a code or a short word,
   * never a value. Returns a promise only with `batch` durability; throws AuditWriteError when failing closed.
   */
  step(action: AuditAction, outcome: 'allowed' | 'failed', facts: CallFacts & { reason?: string | null; durationMs?: number } = {}): void | Promise<void> {
    return this.#record(outcome, facts.reason ?? null, facts, action, facts.durationMs);
  }

  /** Records the call as failed, with the error's code as reason. A no-op when the event was recorded already. */
  failed(error: unknown, facts: CallFacts = {}): void | Promise<void> {
    if (this.#isRecorded) return;
    return this.#record('failed', errorCode(error), facts);
  }

  #record(outcome: 'allowed' | 'failed', reason: string | null, facts: CallFacts, action: AuditAction = this.action, durationMs?: number): void | Promise<void> {
    this.#isRecorded = true;
    const ctx = this.ctx;
    return this.#write({
      requestId: typeof ctx.requestId === 'string' ? ctx.requestId : null,
      actor: ctx.actor,
      tenant: this.tenantId,
      action,
      name: this.name ?? null,
      version: facts.version ?? null,
      outcome,
      reason,
      provider: this.route.client.scheme,
      durationMs: durationMs ?? performance.now() - this.#startedAt,
      cache: facts.cache ?? 'none',
      crossTenant: this.isCrossTenant,
    });
  }
}

/** The stable code of an error for the audit `reason` (never its message, which may quote input). */
export function errorCode(error: unknown): string {
  return SecretsError.is(error) ? error.code : 'E_UNEXPECTED';
}
