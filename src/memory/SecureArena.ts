import { loadSodium } from './loadSodium';
import { MemoryLockError } from '../errors/MemoryLockError';

type Sodium = typeof import('sodium-native');

/** Options of {@link SecureArena}. */
export interface SecureArenaOptions {
  /** Largest slab, bytes. Slabs start at one page and double up to this. Default 64 KiB. */
  maxSlabBytes?: number;
  /** Throw MemoryLockError instead of warning when a region cannot be locked. Default false. */
  shouldRequireLock?: boolean;
  /** Called once per region that could not be locked (the arena still works, unlocked). */
  onLockFailure?: (info: { bytes: number; lockedBytes: number; error: string }) => void;
}

/** A block of locked memory holding one value. `view` is valid until `free()`. */
export interface LockedSlice {
  readonly view: Buffer;
  readonly length: number;
  /** Zero the bytes past `length` and shorten the view (e.g. to drop a trailing newline). */
  truncate(length: number): void;
  /** Zero the bytes and return the block to the arena. Idempotent. */
  free(): void;
}

/** Counters of an arena, for diagnostics and the benchmark. */
export interface ArenaStats {
  regions: number;
  regionBytes: number;
  lockedBytes: number;
  unlockedRegions: number;
  liveSlices: number;
  liveBytes: number;
}

const MIN_CLASS = 16;
const PAGE = 4096;

interface Region {
  buffer: Buffer;
  isLocked: boolean;
}

/**
 * Locked, non-dumpable memory for many small secrets, shared out of few regions.
 *
 * One `sodium_malloc` per secret would cost a locked page, 16 KiB of address space and 4 memory maps each: at the
 * default RLIMIT_MEMLOCK (8 MiB) locking silently stops at ~2,000 secrets and near 16,000 the map limit aborts
 * Node. So values are carved from size-classed slabs (16 B … maxSlab/4, powers of two); a slab starts at one
 * page and doubles per class up to `maxSlabBytes`; larger values get a region of their own. Every region is
 * `sodium_malloc`ed (guard pages, MADV_DONTDUMP) and then explicitly `sodium_mlock`ed, so a lock failure is
 * seen and reported instead of passing silently. Freed blocks are zeroed before reuse; `zeroAll` wipes every
 * region (used on exit).
 *
 * @example
 * ```ts
 * const arena = new SecureArena();
 * const slice = arena.copyIn(bytes); bytes.fill(0);
 * slice.view; // Buffer view into locked memory
 * slice.free();
 * ```
 */
export class SecureArena {
  readonly #sodium: Sodium;
  readonly #maxSlab: number;
  readonly #shouldRequireLock: boolean;
  readonly #onLockFailure: SecureArenaOptions['onLockFailure'];
  readonly #regions: Region[] = [];
  /** size class -> free blocks */
  readonly #free = new Map<number, Buffer[]>();
  /** size class -> next slab size */
  readonly #nextSlab = new Map<number, number>();
  #liveSlices = 0;
  #liveBytes = 0;
  #lockedBytes = 0;

  constructor(options: SecureArenaOptions = {}) {
    this.#sodium = loadSodium();
    this.#maxSlab = options.maxSlabBytes ?? 64 * 1024;
    this.#shouldRequireLock = options.shouldRequireLock ?? false;
    this.#onLockFailure = options.onLockFailure;
  }

  /** Allocate `length` zeroed bytes of locked memory. */
  alloc(length: number): LockedSlice {
    if (!Number.isInteger(length) || length < 0) throw new RangeError('length must be a non-negative integer');
    const size = Math.max(length, 1);
    const cls = sizeClass(size);
    let block: Buffer;
    if (cls > this.#maxSlab / 4) {
      block = this.#newRegion(size).buffer;
    } else {
      const list = this.#free.get(cls) ?? this.#refill(cls);
      block = list.pop() ?? this.#refill(cls).pop()!;
    }
    this.#liveSlices++;
    this.#liveBytes += length;
    let freed = false;
    const sodium = this.#sodium;
    const onTruncate = (by: number) => (this.#liveBytes -= by);
    const onFree = (n: number) => {
      this.#release(block, cls);
      this.#liveSlices--;
      this.#liveBytes -= n;
    };
    const slice = {
      view: block.subarray(0, length),
      length,
      truncate(n: number) {
        if (!Number.isInteger(n) || n < 0 || n > slice.length) throw new RangeError('truncate: bad length');
        sodium.sodium_memzero(block.subarray(n, slice.length));
        onTruncate(slice.length - n);
        slice.length = n;
        slice.view = block.subarray(0, n);
      },
      free() {
        if (freed) return;
        freed = true;
        onFree(slice.length);
      },
    };
    return slice;
  }

  /** Copy bytes into a new locked slice. The caller zeroes its own copy afterwards. */
  copyIn(bytes: Uint8Array): LockedSlice {
    const slice = this.alloc(bytes.length);
    slice.view.set(bytes);
    return slice;
  }

  /** Zero every byte of every region (on exit). Slices stay allocated but hold zeros. */
  zeroAll(): void {
    for (const r of this.#regions) this.#sodium.sodium_memzero(r.buffer);
  }

  stats(): ArenaStats {
    let regionBytes = 0;
    let unlocked = 0;
    for (const r of this.#regions) {
      regionBytes += r.buffer.length;
      if (!r.isLocked) unlocked++;
    }
    return { regions: this.#regions.length, regionBytes, lockedBytes: this.#lockedBytes, unlockedRegions: unlocked, liveSlices: this.#liveSlices, liveBytes: this.#liveBytes };
  }

  #release(block: Buffer, cls: number): void {
    this.#sodium.sodium_memzero(block);
    if (cls > this.#maxSlab / 4) {
      // Dedicated regions are kept zeroed for reuse by a value of the same class.
      (this.#free.get(cls) ?? this.#free.set(cls, []).get(cls)!).push(block);
      return;
    }
    this.#free.get(cls)!.push(block);
  }

  #refill(cls: number): Buffer[] {
    const slabBytes = this.#nextSlab.get(cls) ?? Math.max(PAGE, cls);
    this.#nextSlab.set(cls, Math.min(this.#maxSlab, slabBytes * 2));
    const region = this.#newRegion(slabBytes);
    const list = this.#free.get(cls) ?? [];
    // Push in reverse so blocks are handed out in address order.
    for (let off = slabBytes - cls; off >= 0; off -= cls) list.push(region.buffer.subarray(off, off + cls));
    this.#free.set(cls, list);
    return list;
  }

  #newRegion(bytes: number): Region {
    let buffer: Buffer;
    try {
      buffer = this.#sodium.sodium_malloc(bytes);
    } catch (error) {
      throw new MemoryLockError(`Could not allocate ${bytes} bytes of secure memory (${(error as Error).message}). Check the process's memory map limit (vm.max_map_count) and RLIMIT_MEMLOCK.`);
    }
    // sodium_malloc fills new memory with 0xdb (to catch use of uninitialised bytes); blocks start zeroed here.
    this.#sodium.sodium_memzero(buffer);
    const region: Region = { buffer, isLocked: false };
    try {
      // sodium_malloc tries to lock but ignores failure; lock again to learn whether it worked.
      this.#sodium.sodium_mlock(buffer);
      region.isLocked = true;
      this.#lockedBytes += roundToPage(bytes);
    } catch (error) {
      const message = `Could not lock ${bytes} more bytes of memory (RLIMIT_MEMLOCK reached; ${this.#lockedBytes} bytes locked so far): secrets could be swapped to disk. Raise the limit: \`ulimit -l\` in the shell, LimitMEMLOCK= in systemd, or the container runtime's memlock ulimit.`;
      if (this.#shouldRequireLock) {
        this.#sodium.sodium_free(buffer);
        throw new MemoryLockError(message, { cause: error });
      }
      this.#onLockFailure?.({ bytes, lockedBytes: this.#lockedBytes, error: (error as Error).message });
    }
    this.#regions.push(region);
    return region;
  }
}

function sizeClass(n: number): number {
  let c = MIN_CLASS;
  while (c < n) c *= 2;
  return c;
}

function roundToPage(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}
