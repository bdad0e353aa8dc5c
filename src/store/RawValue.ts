import type { LockedSlice } from '../memory/SecureArena';

/** A value as read by a source, already in locked memory, before validation. */
export interface RawValue {
  slice: LockedSlice;
  /** The backend's version id when it has one. */
  version?: string;
  /** The source URI it came from (no credentials). */
  source: string;
  /** The provider object it was read from, when that is not the secret's own name (`from` / `jsonKey`). */
  origin?: string;
  /** The previous version, when the source provides it (a mount with objectVersionHistory). */
  previous?: LockedSlice;
}
