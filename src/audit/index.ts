export { AUDIT_GENESIS_HASH, AUDIT_SCHEMA_VERSION, type AuditAction, type AuditActor, type AuditCacheState, type AuditEvent, type AuditOutcome } from './AuditEvent';
export type { AuditEventInput } from './AuditEventInput';
export { AuditHmac, type AuditHmacOptions } from './AuditHmac';
export { auditReference } from './auditReference';
export { AuditTrail, type AuditDurability, type AuditSigningOptions, type AuditSinkOptions, type AuditTrailOptions } from './AuditTrail';
export { type AuditCheckpoint, type AuditCheckpointReason, type AuditSegmentHeader } from './auditCheckpoint';
export { AuditSigner, generateAuditKeyPair, readAuditPublicKey, verifyAuditSignature, type AuditSigningKeyOptions } from './AuditSigner';
export { verifyAuditTrails, type AuditTrailBreak, type AuditTrailBreakKind, type AuditTrailReport, type VerifyAuditTrailsOptions, type VerifyAuditTrailsResult } from './verifyAuditTrails';
export { verifyAuditLog, type AuditLogProblem, type VerifyAuditLogOptions, type VerifyAuditLogResult } from './verifyAuditLog';
