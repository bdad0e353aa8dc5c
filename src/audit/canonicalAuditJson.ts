import type { AuditEvent } from './AuditEvent';

const str = JSON.stringify;

/**
 * The canonical JSON of an event without its `hash`: the schema's fields in schema order, no whitespace. The
 * writer hashes exactly this text and the verifier rebuilds it from each parsed line, so both sides share this
 * one function.
 *
 * @example
 * ```ts
 * const hash = sha256Hex(canonicalAuditJson(event));
 * ```
 */
export function canonicalAuditJson(e: Omit<AuditEvent, 'hash'>): string {
  return (
    `{"v":${str(e.v)},"seq":${str(e.seq)},"time":${str(e.time)},"requestId":${str(e.requestId)},` +
    `"actor":{"id":${str(e.actor.id)},"roles":${str(e.actor.roles)}},"tenant":${str(e.tenant)},"action":${str(e.action)},` +
    `"secret":${str(e.secret)},"version":${str(e.version)},"outcome":${str(e.outcome)},"reason":${str(e.reason)},` +
    `"provider":${str(e.provider)},"durationMs":${str(e.durationMs)},"cache":${str(e.cache)},` +
    `"crossTenant":${str(e.crossTenant)},"prev":${str(e.prev)}}`
  );
}
