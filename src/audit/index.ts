export { AUDIT_GENESIS_HASH, AUDIT_SCHEMA_VERSION, type AuditAction, type AuditActor, type AuditCacheState, type AuditEvent, type AuditOutcome } from './AuditEvent';
export type { AuditEventInput } from './AuditEventInput';
export { AuditHmac, type AuditHmacOptions } from './AuditHmac';
export { auditReference } from './auditReference';
export { AuditTrail, type AuditDurability, type AuditSinkOptions, type AuditTrailOptions } from './AuditTrail';
export { verifyAuditLog, type AuditLogProblem, type VerifyAuditLogOptions, type VerifyAuditLogResult } from './verifyAuditLog';
