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

/**
 * A block of locked memory holding one value. `view` is valid until `free()`.
 *
 * Lending: `lease()` hands out `view` for a callback and keeps the bytes unchanged until `endLease()`: a `free()`
 * meanwhile is deferred to the last `endLease()`. Once a view has been lent (`lend()` or `lease()`), its block is
 * quarantined on free: zeroed, and not reused until every view object lent for it has been garbage collected, so
 * a kept view reads its own value or zeros, never another value.
 */
export interface LockedSlice {
  readonly view: Buffer;
  readonly length: number;
  /** Zero the bytes past `length` and shorten the view (e.g. to drop a trailing newline). */
  truncate(length: number): void;
  /** Zero the bytes and return the block to the arena (after the last lease, quarantined if lent). Idempotent. */
  free(): void;
  /** Mark `view` as handed to code outside the library and return it (no lease: the caller frees after use). */
  lend(): Buffer;
  /** Start a lease: `lend()`, and defer any `free()` until the matching `endLease()`. */
  lease(): Buffer;
  /** End a lease started by `lease()`. */
  endLease(): void;
}

/** Counters of an arena, for diagnostics and the benchmark. */
export interface ArenaStats {
  regions: number;
  regionBytes: number;
  lockedBytes: number;
  unlockedRegions: number;
  liveSlices: number;
  liveBytes: number;
  /** Freed blocks kept zeroed and out of use until the views lent for them are garbage collected. */
  quarantinedSlices: number;
  /** Slices freed by their owner whose release waits for a lease to end. */
  pendingFreeSlices: number;
}

const MIN_CLASS = 16;
const PAGE = 4096;

interface Region {
  buffer: Buffer;
  isLocked: boolean;
  /** Locked bytes accounted for this region (0 when not locked). */
  lockedBytes: number;
  /** Blocks handed out or quarantined (not on the free list). */
  used: number;
  /** Size class of its blocks; a dedicated region has one block. */
  cls: number;
  isDedicated: boolean;
  /** Free blocks of a slab region. */
  free: Block[];
}

/** A free block and the region it belongs to. */
interface Block {
  buffer: Buffer;
  region: Region;
}

/** What the FinalizationRegistry holds for a lent block: never a view (that would keep it reachable). */
interface LentBlock {
  block: Block;
  /** View objects lent (and derived by subarray/slice) not yet collected. */
  views: number;
  isFreed: boolean;
}

const EMPTY = Buffer.alloc(0);

/** The arena's bookkeeping that its slices call. */
interface ArenaInternals {
  /** A free waits for (`1`) or no longer waits for (`-1`) a lease to end. */
  onPendingFree(delta: number): void;
  /** A slice's bytes shrank by `by`. */
  onTruncated(by: number): void;
  /** Zero bytes of a block (a slice's tail). */
  zero(bytes: Uint8Array): void;
  /** Track a view object lent for a block; the block is reused only once every such view is gone. */
  track(view: Buffer, held: LentBlock): void;
  /** A slice was freed (its last lease over): zero it, then reuse the block or quarantine it. */
  released(block: Block, length: number, lent: LentBlock | undefined): void;
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
  readonly #regions = new Set<Region>();
  /** size class -> slab regions, oldest first: blocks come from the oldest region with one free (so newer
   * regions empty out and are given back), and the oldest is kept when empty. */
  readonly #slabs = new Map<number, Region[]>();
  readonly #lent = new FinalizationRegistry<LentBlock>((held) => this.#collected(held));
  #liveSlices = 0;
  #liveBytes = 0;
  #lockedBytes = 0;
  #quarantined = 0;
  #pendingFree = 0;

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
    let block: Block;
    if (cls > this.#maxSlab / 4) {
      const region = this.#newRegion(size, cls, true);
      block = { buffer: region.buffer, region };
    } else {
      block = this.#freeBlock(cls);
    }
    block.region.used++;
    this.#liveSlices++;
    this.#liveBytes += length;
    return new Slice(this.#internals, block, length);
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
    return {
      regions: this.#regions.size,
      regionBytes,
      lockedBytes: this.#lockedBytes,
      unlockedRegions: unlocked,
      liveSlices: this.#liveSlices,
      liveBytes: this.#liveBytes,
      quarantinedSlices: this.#quarantined,
      pendingFreeSlices: this.#pendingFree,
    };
  }

  /** What a slice may do to its arena; not part of the arena's public surface. */
  readonly #internals: ArenaInternals = {
    onPendingFree: (delta) => {
      this.#pendingFree += delta;
    },
    onTruncated: (by) => {
      this.#liveBytes -= by;
    },
    zero: (bytes) => this.#sodium.sodium_memzero(bytes),
    track: (view, held) => {
      held.views++;
      this.#lent.register(view, held);
    },
    released: (block, length, lent) => {
      this.#sodium.sodium_memzero(block.buffer);
      this.#liveSlices--;
      this.#liveBytes -= length;
      if (lent === undefined) return this.#reuse(block);
      lent.isFreed = true;
      // Views are still reachable (the slice held one until now): the block waits, zeroed, for the collector.
      this.#quarantined++;
    },
  };

  #collected(held: LentBlock): void {
    if (--held.views > 0 || !held.isFreed) return;
    this.#quarantined--;
    this.#reuse(held.block);
  }

  #reuse(block: Block): void {
    const region = block.region;
    region.used--;
    if (region.isDedicated) return this.#dropRegion(region);
    region.free.push(block);
    if (region.used === 0 && this.#slabs.get(region.cls)![0] !== region) this.#dropRegion(region);
  }

  /**
   * Give an empty region back (munlock + free), so locked memory shrinks after a burst of kept views or
   * rotations. `sodium_free` detaches the ArrayBuffer: any view left on it reads as empty, never other bytes.
   */
  #dropRegion(region: Region): void {
    this.#regions.delete(region);
    this.#lockedBytes -= region.lockedBytes;
    if (!region.isDedicated) {
      region.free.length = 0;
      const slabs = this.#slabs.get(region.cls)!;
      slabs.splice(slabs.indexOf(region), 1);
    }
    this.#sodium.sodium_free(region.buffer);
  }

  #freeBlock(cls: number): Block {
    const slabs = this.#slabs.get(cls) ?? this.#slabs.set(cls, []).get(cls)!;
    for (const region of slabs) if (region.free.length > 0) return region.free.pop()!;
    return this.#refill(cls, slabs).free.pop()!;
  }

  #refill(cls: number, slabs: Region[]): Region {
    // Each new slab doubles the largest one left, up to maxSlab.
    const largest = slabs.reduce((m, r) => Math.max(m, r.buffer.length), 0);
    const slabBytes = largest === 0 ? Math.max(PAGE, cls) : Math.min(this.#maxSlab, largest * 2);
    const region = this.#newRegion(slabBytes, cls, false);
    slabs.push(region);
    // Push in reverse so blocks are handed out in address order.
    for (let off = slabBytes - cls; off >= 0; off -= cls) region.free.push({ buffer: region.buffer.subarray(off, off + cls), region });
    return region;
  }

  #newRegion(bytes: number, cls: number, isDedicated: boolean): Region {
    let buffer: Buffer;
    try {
      buffer = this.#sodium.sodium_malloc(bytes);
    } catch (error) {
      throw new MemoryLockError(`Could not allocate ${bytes} bytes of secure memory (${(error as Error).message}). Check the process's memory map limit (vm.max_map_count) and RLIMIT_MEMLOCK.`);
    }
    // sodium_malloc fills new memory with 0xdb (to catch use of uninitialised bytes); blocks start zeroed here.
    this.#sodium.sodium_memzero(buffer);
    const region: Region = { buffer, isLocked: false, lockedBytes: 0, used: 0, cls, isDedicated, free: [] };
    try {
      // sodium_malloc tries to lock but ignores failure; lock again to learn whether it worked.
      this.#sodium.sodium_mlock(buffer);
      region.isLocked = true;
      region.lockedBytes = roundToPage(bytes);
      this.#lockedBytes += region.lockedBytes;
    } catch (error) {
      const message = `Could not lock ${bytes} more bytes of memory (RLIMIT_MEMLOCK reached; ${this.#lockedBytes} bytes locked so far): secrets could be swapped to disk. Raise the limit: \`ulimit -l\` in the shell, LimitMEMLOCK= in systemd, or the container runtime's memlock ulimit.`;
      if (this.#shouldRequireLock) {
        this.#sodium.sodium_free(buffer);
        throw new MemoryLockError(message, { cause: error });
      }
      this.#onLockFailure?.({ bytes, lockedBytes: this.#lockedBytes, error: (error as Error).message });
    }
    this.#regions.add(region);
    return region;
  }
}

/** One value's block. A class (not closures) so the lease calls on the hot path stay monomorphic and cheap. */
class Slice implements LockedSlice {
  view: Buffer;
  length: number;
  readonly #arena: ArenaInternals;
  readonly #block: Block;
  #leases = 0;
  #lent: LentBlock | undefined;
  #isFreed = false;
  #isFreePending = false;

  constructor(arena: ArenaInternals, block: Block, length: number) {
    this.#arena = arena;
    this.#block = block;
    this.length = length;
    this.view = block.buffer.subarray(0, length);
  }

  truncate(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.length) throw new RangeError('truncate: bad length');
    if (this.#isFreed) return;
    this.#arena.zero(this.#block.buffer.subarray(n, this.length));
    this.#arena.onTruncated(this.length - n);
    this.length = n;
    this.view = this.#block.buffer.subarray(0, n);
    // The old view object may be held by whoever it was lent to; the new one is lent too.
    if (this.#lent !== undefined) trackView(this.#arena, this.view, this.#lent);
  }

  lend(): Buffer {
    if (this.#lent === undefined && !this.#isFreed) {
      this.#lent = { block: this.#block, views: 0, isFreed: false };
      trackView(this.#arena, this.view, this.#lent);
    }
    return this.view;
  }

  lease(): Buffer {
    this.#leases++;
    return this.#lent === undefined ? this.lend() : this.view;
  }

  endLease(): void {
    if (this.#leases > 0 && --this.#leases === 0 && this.#isFreePending) this.#release();
  }

  free(): void {
    if (this.#isFreed || this.#isFreePending) return;
    if (this.#leases > 0) {
      this.#isFreePending = true;
      this.#arena.onPendingFree(1);
    } else this.#release();
  }

  #release(): void {
    this.#isFreed = true;
    if (this.#isFreePending) this.#arena.onPendingFree(-1);
    this.#isFreePending = false;
    // Drop our own reference, so only views held by callers keep the block quarantined.
    this.view = EMPTY;
    this.#arena.released(this.#block, this.length, this.#lent);
  }
}

/**
 * Register a lent view, and make the views derived from it with `subarray` / `slice` (which share its memory)
 * lent views too, so a kept `key.subarray(0, 32)` also holds the block in quarantine.
 */
function trackView(arena: ArenaInternals, view: Buffer, held: LentBlock): void {
  arena.track(view, held);
  const derive = function (this: Buffer, start?: number, end?: number): Buffer {
    const part = Buffer.prototype.subarray.call(this, start, end);
    trackView(arena, part, held);
    return part;
  };
  Object.defineProperty(view, 'subarray', { value: derive, enumerable: false, configurable: true, writable: true });
  Object.defineProperty(view, 'slice', { value: derive, enumerable: false, configurable: true, writable: true });
}

function sizeClass(n: number): number {
  let c = MIN_CLASS;
  while (c < n) c *= 2;
  return c;
}

function roundToPage(n: number): number {
  return Math.ceil(n / PAGE) * PAGE;
}

/**
 * End the leases of a callback's slices when its result is done: at once for a plain value, when it settles for
 * a thenable (an async callback keeps its value readable and unchanged until then). Returns what to hand back:
 * `result` itself, or for a thenable the promise its `then` returns, resolving and rejecting the same way.
 *
 * @example
 * ```ts
 * const view = slice.lease();
 * let result;
 * try { result = fn(view); } catch (error) { slice.endLease(); throw error; }
 * return endLeaseWhenDone(result, slice);
 * ```
 */
export function endLeaseWhenDone<R>(result: R, slice: LockedSlice, other?: LockedSlice): R {
  if ((typeof result !== 'object' && typeof result !== 'function') || result === null || typeof (result as { then?: unknown }).then !== 'function') {
    slice.endLease();
    other?.endLease();
    return result;
  }
  let isDone = false;
  const done = () => {
    if (isDone) return;
    isDone = true;
    slice.endLease();
    other?.endLease();
  };
  try {
    return (result as unknown as PromiseLike<unknown>).then(
      (value) => {
        done();
        return value;
      },
      (error: unknown) => {
        done();
        throw error;
      },
    ) as R;
  } catch (error) {
    done();
    throw error;
  }
}
