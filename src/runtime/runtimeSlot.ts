import type { SecretsRuntime } from './SecretsRuntime';

const SLOT = Symbol.for('@valuecanvas/secrets.runtime');

/** The one mutable cell every copy of this package in the process shares. */
interface Holder {
  runtime: SecretsRuntime | undefined;
}

/**
 * The process-wide runtime lives in a holder on the `process` object under a registered symbol, so the preload
 * and the app share it even when they resolve different copies of this package, and even from another module
 * registry or realm: Jest runs each test file in a fresh vm context with its own `globalThis`, but gives it a
 * copy of `process` whose symbol-keyed properties are the same references, so the holder (and the runtime it
 * holds) is the same object there.
 */
function holder(): Holder {
  // The holder never changes once made, so this copy of the module keeps a reference: a symbol lookup on
  // `process` (a large object) on every `secrets.use` cost several times the rest of the call.
  if (cached) return cached;
  const p = process as unknown as Record<symbol, Holder | undefined>;
  let h = p[SLOT];
  if (!h) {
    h = { runtime: undefined };
    Object.defineProperty(p, SLOT, { value: h, enumerable: false, configurable: true, writable: false });
  }
  cached = h;
  return h;
}

let cached: Holder | undefined;

export function getRuntime(): SecretsRuntime | undefined {
  return holder().runtime;
}

export function setRuntime(runtime: SecretsRuntime | undefined): void {
  holder().runtime = runtime;
}
