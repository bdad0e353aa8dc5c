/**
 * The custom_metadata key that pins the current version while newer versions are pending (KV v2 has no
 * stages of its own). Absent: the latest version is current. `"0"`: no version is current yet.
 */
export const CURRENT_PIN_KEY = 'vc_current_version';

/**
 * The pinned current version in a KV v2 custom_metadata map (from metadata, or embedded in a data read or
 * write answer); undefined when there is no valid pin.
 *
 * @example
 * ```ts
 * readCurrentPin({ vc_current_version: '3' }); // 3
 * readCurrentPin(null);                         // undefined
 * ```
 */
export function readCurrentPin(customMetadata: unknown): number | undefined {
  if (!customMetadata || typeof customMetadata !== 'object') return undefined;
  const raw = (customMetadata as Record<string, unknown>)[CURRENT_PIN_KEY];
  return typeof raw === 'string' && /^\d{1,15}$/.test(raw) ? Number(raw) : undefined;
}
