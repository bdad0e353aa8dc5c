import type { LockedSlice } from '../memory/SecureArena';

/** Zero and release every value and its previous version (a candidate dropped, a snapshot replaced). */
export function releaseValues(values: Iterable<{ slice: LockedSlice; previous?: LockedSlice }>): void {
  for (const v of values) {
    v.slice.free();
    v.previous?.free();
  }
}
