import type { LockedSlice } from '../memory/SecureArena';
import { releaseValues } from './releaseValues';

/** One stored value: bytes in locked memory, an opaque version and a keyed content digest. */
export interface StoredSecret {
  readonly slice: LockedSlice;
  /** Opaque id of the value: the backend's version id, or `d:` + 16 hex of the keyed digest. */
  readonly version: string;
  /** Keyed digest of the bytes (equality without comparing values in JS). */
  readonly digest: string;
  /** Which source served it (URI without credentials). */
  readonly source: string;
  /** The provider object it was read from, when not its own name. */
  readonly origin?: string;
  /** The previous version, when the source provides it. */
  readonly previous?: LockedSlice;
}

/**
 * A complete, validated set of secrets. Immutable once built; replaced as a whole (one reference assignment),
 * so a reader sees either the old or the new snapshot, never a mix.
 */
export class Snapshot {
  static #nextId = 1;
  readonly id: number;
  readonly values: ReadonlyMap<string, StoredSecret>;
  readonly loadedAt: Date;
  /** The settings (non-secret schema properties), coerced and frozen; swapped together with the values. */
  readonly settings: Readonly<Record<string, unknown>>;

  constructor(values: ReadonlyMap<string, StoredSecret>, settings: Readonly<Record<string, unknown>> = {}) {
    this.id = Snapshot.#nextId++;
    this.values = values;
    this.loadedAt = new Date();
    this.settings = settings;
  }

  /** Names whose digest differs between `this` and `next` (added, removed or changed). */
  changedNames(next: Snapshot): string[] {
    const changed: string[] = [];
    for (const [name, value] of next.values) if (this.values.get(name)?.digest !== value.digest) changed.push(name);
    for (const name of this.values.keys()) if (!next.values.has(name)) changed.push(name);
    return changed.sort();
  }

  /** Zero and release every value (after the snapshot was replaced, or when a candidate is rejected). */
  release(): void {
    releaseValues(this.values.values());
  }
}
