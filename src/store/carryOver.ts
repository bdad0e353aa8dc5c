import type { SecureArena } from '../memory/SecureArena';
import type { RawValue } from './RawValue';
import type { StoredSecret } from './Snapshot';

/**
 * A current value copied into a new candidate unchanged (the candidate takes ownership of the copy), for names a
 * reload does not re-read: provider values on a mount change, other sources' values on a provider poll.
 */
export function carryOver(arena: SecureArena, stored: StoredSecret): RawValue {
  return { slice: arena.copyIn(stored.slice.view), version: stored.version, source: stored.source, ...(stored.origin ? { origin: stored.origin } : {}) };
}
