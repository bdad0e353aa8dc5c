import type { LockedSlice } from '../memory/SecureArena';

/** A value as read by a source, already in locked memory, before validation. */
export interface RawValue {
  slice: LockedSlice;
  /** The backend's version id when it has one. */
  version?: string;
  /** The source URI it came from (no credentials). */
  source: string;
}
