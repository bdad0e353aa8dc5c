import * as path from 'node:path';

type Sodium = typeof import('sodium-native');
let cached: Sodium | undefined;

/**
 * sodium-native, loaded the fast way: its package entry goes through a generic addon loader that costs ~6 ms at
 * start-up (measured in `npm run bench`), so the prebuilt binary for this platform is required directly, and the
 * package entry is the fallback (other platforms, a source build, a changed layout).
 */
export function loadSodium(): Sodium {
  if (cached) return cached;
  try {
    const pkg = path.dirname(require.resolve('sodium-native/package.json'));
    cached = require(path.join(pkg, 'prebuilds', `${process.platform}-${process.arch}`, 'sodium-native.node')) as Sodium;
    if (typeof cached.sodium_malloc !== 'function') throw new Error('unexpected binding');
  } catch {
    cached = require('sodium-native') as Sodium;
  }
  return cached;
}
