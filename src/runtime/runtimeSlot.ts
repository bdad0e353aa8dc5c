import type { SecretsRuntime } from './SecretsRuntime';

const SLOT = Symbol.for('@valuecanvas/secrets.runtime');

/**
 * The process-wide runtime lives on `globalThis` under a registered symbol, so the preload and the app share it
 * even when they resolve different copies of this package.
 */
export function getRuntime(): SecretsRuntime | undefined {
  return (globalThis as Record<symbol, SecretsRuntime | undefined>)[SLOT];
}

export function setRuntime(runtime: SecretsRuntime | undefined): void {
  (globalThis as Record<symbol, SecretsRuntime | undefined>)[SLOT] = runtime;
}
