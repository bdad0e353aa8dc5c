import { auditReference } from '../../audit/auditReference';
import { verifyAuditLog } from '../../audit/verifyAuditLog';
import type { Out } from '../output';

/** `vc-secrets audit verify <file>`: verify the hash chain; report the first break. Exit 0 or 1. */
export async function auditVerifyCommand(out: Out, file: string): Promise<number> {
  const result = await verifyAuditLog(file);
  if (out.isJson) out.json(result);
  else if (result.ok) out.line(`${out.ok('ok')}: ${result.count} event(s), chain intact`);
  else out.error(`${out.bad(result.problem)} at line ${result.line} (seq ${result.seq ?? '?'}): ${result.detail}`);
  return result.ok ? 0 : 1;
}

/** `vc-secrets audit hmac <name> --key-file F`: the reference of a known name, to search the audit log. */
export function auditHmacCommand(out: Out, name: string, keyFile: string): number {
  const ref = auditReference(name, { keyFile });
  if (out.isJson) out.json({ reference: ref });
  else out.line(ref);
  return 0;
}
