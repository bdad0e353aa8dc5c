import type { LockedSlice } from '../memory/SecureArena';

/**
 * Step 1 of a rotation: makes the new value. It should write straight into locked memory it takes from `alloc`
 * and return that slice (the rotator frees it). Returning a plain Uint8Array works too: it is copied into locked
 * memory and zeroed at once. Built-ins: {@link randomBytesGenerator}, {@link passwordGenerator}.
 *
 * @example
 * ```ts
 * const generator: RotationGenerator = (alloc) => {
 *   const slice = alloc(32);
 *   fillFromHsm(slice.view);
 *   return slice;
 * };
 * ```
 */
export type RotationGenerator = (
  alloc: (length: number) => LockedSlice,
  context?: RotationGeneratorContext,
) => LockedSlice | Uint8Array | Promise<LockedSlice | Uint8Array>;

/**
 * What a generator may read besides `alloc`: with a {@link RotationApplier}, the current value (e.g. to keep its
 * user name, or to pick the other user of an alternating pair). A view into locked memory, valid during the call.
 */
export interface RotationGeneratorContext {
  current?: { version: string; view: Buffer };
}
