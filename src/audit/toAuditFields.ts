import { isValidSecretName } from '../access/isValidSecretName';
import { isValidTenantId } from '../access/isValidTenantId';
import type { AuditActor, AuditCacheState, AuditEvent, AuditOutcome } from './AuditEvent';
import type { AuditEventInput } from './AuditEventInput';
import type { AuditHmac } from './AuditHmac';

/** The clear fields of an event: everything but the chain fields the trail fills in. */
export type AuditFields = Omit<AuditEvent, 'v' | 'seq' | 'time' | 'prev' | 'hash'>;

// The allowlist: one pattern per clear-text field. No quotes, backslashes, spaces or control characters, so
// nothing in them can be mistaken for JSON structure or a terminal escape; values that fail become references.
const REQUEST_ID = /^[A-Za-z0-9._:@+=/-]{1,128}$/;
const ACTOR_ID = /^[A-Za-z0-9._:@+=/-]{1,256}$/;
const ROLE = /^[A-Za-z0-9._:@+=/-]{1,128}$/;
const VERSION = /^[A-Za-z0-9._:+=/-]{1,128}$/;
const PROVIDER = /^[a-z][a-z0-9+.-]{0,31}$/;
const REASON = /^[\x20-\x7e]{1,256}$/;
const ACTION = /^(?:secrets|audit)\.[a-z][a-z0-9-]{0,31}(?:\.[a-z][a-z0-9-]{0,31})?$/;
const OUTCOMES: ReadonlySet<string> = new Set<AuditOutcome>(['allowed', 'denied', 'failed']);
const CACHE_STATES: ReadonlySet<string> = new Set<AuditCacheState>(['hit', 'miss', 'stale', 'none']);
const MAX_ROLES = 64;

/** A clear string if it matches, its reference if it is another string, null otherwise (non-strings are dropped). */
function clear(value: unknown, pattern: RegExp, hmac: AuditHmac): string | null {
  if (typeof value !== 'string') return null;
  return pattern.test(value) ? value : hmac.reference(value);
}

function actorOf(actor: unknown, hmac: AuditHmac): AuditActor {
  const a = actor as { id?: unknown; roles?: unknown } | null | undefined;
  const roles: string[] = [];
  if (Array.isArray(a?.roles)) {
    for (let i = 0; i < a.roles.length && roles.length < MAX_ROLES; i++) {
      const role = clear(a.roles[i], ROLE, hmac);
      if (role !== null) roles.push(role);
    }
  }
  return { id: clear(a?.id, ACTOR_ID, hmac), roles };
}

/**
 * Builds the clear fields of an event from the caller's input: reads only the schema's fields, checks each
 * against its pattern (else records its HMAC reference), turns the secret name into a reference unless
 * `isClearName` allows it. Throws TypeError for an unknown action, outcome or cache state (a programming error).
 */
export function toAuditFields(input: AuditEventInput, hmac: AuditHmac, isClearName: (name: string) => boolean): AuditFields {
  const { action, outcome } = input;
  const cache = input.cache ?? 'none';
  if (typeof action !== 'string' || !ACTION.test(action)) throw new TypeError('Audit event has an invalid action; use e.g. secrets.get or secrets.rotate.stage.');
  if (!OUTCOMES.has(outcome)) throw new TypeError('Audit event outcome must be allowed, denied or failed.');
  if (!CACHE_STATES.has(cache)) throw new TypeError('Audit event cache must be hit, miss, stale or none.');
  const name = input.name;
  const tenant = input.tenant;
  const duration = input.durationMs;
  return {
    requestId: clear(input.requestId, REQUEST_ID, hmac),
    actor: actorOf(input.actor, hmac),
    tenant: typeof tenant !== 'string' ? null : isValidTenantId(tenant) ? tenant : hmac.reference(tenant),
    action,
    secret: typeof name !== 'string' ? null : isValidSecretName(name) && isClearName(name) ? name : hmac.reference(name),
    version: clear(input.version, VERSION, hmac),
    outcome,
    reason: clear(input.reason, REASON, hmac),
    provider: clear(input.provider, PROVIDER, hmac),
    durationMs: typeof duration === 'number' && Number.isFinite(duration) && duration >= 0 ? Math.round(duration * 1000) / 1000 : null,
    cache,
    crossTenant: input.crossTenant === true,
  };
}
