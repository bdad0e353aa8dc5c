/** Version of the audit event schema, the `v` field. Bumped on any change of fields or canonical form. */
export const AUDIT_SCHEMA_VERSION = 1;

/** `prev` of the first event of a trail: 64 zeros. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** What happened to the request: allowed (and done), denied by access control, or failed (provider, audit...). */
export type AuditOutcome = 'allowed' | 'denied' | 'failed';

/** Where the value came from: cache hit, miss (provider read), stale (served stale-if-error), none (no read). */
export type AuditCacheState = 'hit' | 'miss' | 'stale' | 'none';

/**
 * The service method or step. Rotation steps are `secrets.rotate.<step>` (generate, stage, verify, promote,
 * grace, retire). At run time any `secrets.<word>[.<word>]` or `audit.<word>[.<word>]` of lowercase letters,
 * digits and `-` is accepted, so new methods need no schema change.
 */
export type AuditAction =
  | 'secrets.get'
  | 'secrets.use'
  | 'secrets.set'
  | 'secrets.delete'
  | 'secrets.list'
  | 'secrets.versions'
  | 'secrets.rollback'
  | `secrets.rotate.${string}`
  | 'audit.read';

/** The actor as recorded: id and roles, each in clear only if it matches the clear-text allowlist pattern. */
export interface AuditActor {
  id: string | null;
  roles: string[];
}

/**
 * One audit event, schema version 1: one JSON line of a JSONL file, every field always present (null when it
 * does not apply), in this order, which is also the canonical order the hash covers.
 *
 * | field | type | meaning |
 * |---|---|---|
 * | `v` | 1 | schema version |
 * | `seq` | integer >= 1 | position in this trail, +1 per event, no gaps |
 * | `time` | string | ISO 8601 UTC, milliseconds |
 * | `requestId` | string \| null | the request context's id |
 * | `actor` | { id, roles } | who asked (ids and roles from the app's authentication) |
 * | `tenant` | string \| null | tenant id; null for platform-wide actions |
 * | `action` | string | {@link AuditAction} |
 * | `secret` | string \| null | `hmac-sha256:<64 hex>` of the secret name (clear only for allow-listed names) |
 * | `version` | string \| null | the provider's version id of the value read or written |
 * | `outcome` | string | {@link AuditOutcome} |
 * | `reason` | string \| null | why denied or failed: a DenyReason or an error code, never a value |
 * | `provider` | string \| null | provider scheme that served the call (aws, vault, azure, file) |
 * | `durationMs` | number \| null | time the call took, milliseconds (3 decimals) |
 * | `cache` | string | {@link AuditCacheState} |
 * | `crossTenant` | boolean | the access used platform (cross-tenant) rights |
 * | `prev` | string | `hash` of the previous event of the trail ({@link AUDIT_GENESIS_HASH} for the first) |
 * | `hash` | string | SHA-256 (hex) of the canonical JSON of this event without `hash` |
 *
 * Canonical JSON: the fields above except `hash`, in that order, no whitespace, strings and numbers as
 * `JSON.stringify` writes them. The line written is the canonical JSON with `,"hash":"<hex>"` added as the last
 * member. Clear-text fields must match a conservative pattern (see AuditTrail); anything else is replaced by its
 * HMAC reference, and fields outside this schema are never written.
 *
 * @example
 * ```json
 * {"v":1,"seq":42,"time":"2025-01-01T12:00:00.000Z","requestId":"req-7","actor":{"id":"alice","roles":["billing"]},"tenant":"acme","action":"secrets.use","secret":"hmac-sha256:5f0c…","version":"v3","outcome":"allowed","reason":null,"provider":"aws","durationMs":0.021,"cache":"hit","crossTenant":false,"prev":"9b1d…","hash":"c4e2…"}
 * ```
 */
export interface AuditEvent {
  v: typeof AUDIT_SCHEMA_VERSION;
  seq: number;
  time: string;
  requestId: string | null;
  actor: AuditActor;
  tenant: string | null;
  action: AuditAction;
  secret: string | null;
  version: string | null;
  outcome: AuditOutcome;
  reason: string | null;
  provider: string | null;
  durationMs: number | null;
  cache: AuditCacheState;
  crossTenant: boolean;
  prev: string;
  hash: string;
}
