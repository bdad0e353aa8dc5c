import { AuditHmac } from './AuditHmac';

/**
 * Computes the audit reference (`hmac-sha256:<hex>`) of a known name with the trail's key, so an operator can
 * search the audit log for it (what `vc-secrets audit hmac <name>` prints). The key is held in locked memory
 * only for the call.
 *
 * @example
 * ```ts
 * auditReference('STRIPE_KEY', { keyFile: '/var/run/secrets/audit/key' }); // 'hmac-sha256:3f5a…'
 * ```
 */
export function auditReference(name: string, key: { key: Uint8Array } | { keyFile: string }): string {
  const hmac = new AuditHmac({ ...key, shouldAllowRandomKey: false });
  try {
    return hmac.reference(name);
  } finally {
    hmac.close();
  }
}
