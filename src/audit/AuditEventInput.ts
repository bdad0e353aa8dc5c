import type { AuditAction, AuditCacheState, AuditOutcome } from './AuditEvent';

/**
 * What the caller of AuditTrail.record gives: the facts of one call. The trail adds `v`, `seq`, `time`, `prev`
 * and `hash`, turns `name` into a reference, and keeps only these fields: anything else on the object (a value,
 * a token, headers) is never read. Clear-text fields that do not match their pattern are recorded as their HMAC
 * reference instead (a requestId or tenant id taken from hostile input cannot inject text into the log).
 *
 * @example
 * ```ts
 * await trail.record({ requestId: ctx.requestId, actor: ctx.actor, tenant: 'acme', action: 'secrets.use',
 *   name: 'STRIPE_KEY', outcome: 'allowed', cache: 'hit', provider: 'aws', version: 'v3', durationMs: 0.02 });
 * ```
 */
export interface AuditEventInput {
  /** `[A-Za-z0-9._:@+=/-]`, 1-128 chars in clear. */
  requestId?: string | null;
  /** `id`: `[A-Za-z0-9._:@+=/-]`, 1-256 chars in clear; each role likewise, 1-128 chars, at most 64 roles. */
  actor: { readonly id: string; readonly roles: readonly string[] };
  /** A valid tenant id in clear; anything else as a reference. */
  tenant?: string | null;
  action: AuditAction;
  /** The secret's name in clear: recorded as its HMAC reference unless allow-listed (AuditTrailOptions.clearNames). */
  name?: string | null;
  /** Provider version id, `[A-Za-z0-9._:+=/-]`, 1-128 chars in clear. */
  version?: string | null;
  outcome: AuditOutcome;
  /** A DenyReason or error code (printable ASCII, at most 256 chars). Never user input, never a value. */
  reason?: string | null;
  /** Provider scheme, `[a-z][a-z0-9+.-]`, at most 32 chars. */
  provider?: string | null;
  durationMs?: number | null;
  /** Default `none`. */
  cache?: AuditCacheState;
  /** True only when the access relied on platform (cross-tenant) rights. */
  crossTenant?: boolean;
}
