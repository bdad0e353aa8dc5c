import * as fs from 'node:fs';
import * as path from 'node:path';
import type { FSWatcher } from 'chokidar';

/** Options of {@link MountWatcher}. */
export interface MountWatcherOptions {
  /** Quiet time after per-file changes before reloading, ms. */
  debounceMs: number;
  /** Safety-net re-read interval, ms (0 = off). */
  recheckMs: number;
  /** Called (synchronously, never concurrently) when the mount may have changed. */
  onChange: (reason: string) => void;
  /** Operational errors (never values). */
  onError?: (error: Error) => void;
  /** How often the directory's identity is compared, ms (default 500; 0 = off). See step 6. */
  remountCheckMs?: number;
  /** Called when step 6 found the directory remounted and re-armed the watcher. */
  onRemount?: (info: { dir: string }) => void;
}

/**
 * Watches a mount directory and calls `onChange` when its content may have changed.
 *
 * 1. chokidar watches the mount directory itself (depth 0), not the visible files: a watch on a file follows
 *    the symlink to the old inode and dies when the old dir is deleted (kubernetes#111947).
 * 2. An event on `..data` is the commit point of a kubelet/CSI atomic write: reload at once (from the raw,
 *    unthrottled fs.watch event). Other `..` names (`..data_tmp`, timestamped dirs) are the writer's scratch:
 *    ignored. Event types are not filtered (a rename shows as rename or change depending on the platform).
 * 3. Any other name (per-file renames of the AWS provider, plain dirs): reload after `debounceMs` of quiet.
 * 4. The parent directory is watched for the mount being deleted and recreated: the watcher is re-armed on the
 *    new directory and a reload is triggered.
 * 5. A timer re-reads every `recheckMs` as a safety net (missed events); identical bytes are no rotation.
 * 6. Every `remountCheckMs` the directory's identity (device, inode, birth time) is compared with the one the
 *    watcher was armed on. A filesystem unmounted and mounted again at the same path (a CSI driver restart on the
 *    node) leaves the parent directory unchanged and silently kills the inotify watch; a new identity re-arms
 *    the watcher and triggers a reload. The birth time matters: a new tmpfs often gets the old device number and
 *    the same root inode.
 * Handles are not persistent: watching never keeps the process alive.
 */
export class MountWatcher {
  readonly #dir: string;
  readonly #options: MountWatcherOptions;
  #watcher: FSWatcher | undefined;
  #parent: FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #identityTimer: NodeJS.Timeout | undefined;
  #identity: string | undefined;
  #isCheckingIdentity = false;
  #isClosed = false;
  #ready: Promise<void> = Promise.resolve();

  constructor(dir: string, options: MountWatcherOptions) {
    this.#dir = path.resolve(dir);
    this.#options = options;
  }

  /** Arm the watchers; resolves when chokidar is ready. */
  start(): Promise<void> {
    const chokidar = require('chokidar') as typeof import('chokidar');
    const base = { ignoreInitial: true, persistent: false, followSymlinks: false, atomic: false, depth: 0, ignorePermissionErrors: true } as const;
    this.#arm(chokidar, base);
    // 4.
    const parent = path.dirname(this.#dir);
    const name = path.basename(this.#dir);
    this.#parent = chokidar.watch(parent, { ...base, ignored: (p: string) => p !== parent && path.basename(p) !== name });
    this.#parent.on('addDir', (p) => {
      if (path.basename(p) !== name || this.#isClosed) return;
      this.#rearm(chokidar, base, 'mount recreated');
    });
    this.#parent.on('error', (e) => this.#options.onError?.(e as Error));
    // 5.
    if (this.#options.recheckMs > 0) {
      this.#recheck = setInterval(() => this.#fire('periodic recheck'), this.#options.recheckMs);
      this.#recheck.unref();
    }
    // 6.
    const every = this.#options.remountCheckMs ?? 500;
    if (every > 0) {
      this.#identityTimer = setInterval(() => void this.#checkIdentity(chokidar, base), every);
      this.#identityTimer.unref();
    }
    const parentReady = new Promise<void>((resolve) => this.#parent!.once('ready', () => resolve()));
    return Promise.all([this.#ready, parentReady]).then(() => undefined);
  }

  #rearm(chokidar: typeof import('chokidar'), base: object, reason: string): void {
    void this.#watcher?.close();
    this.#arm(chokidar, base);
    this.#fire(reason);
    // Changes between the re-arm and the new watcher's readiness would be missed: read once more when ready.
    void this.#ready.then(() => this.#fire(`${reason}, watcher ready`));
  }

  async #checkIdentity(chokidar: typeof import('chokidar'), base: object): Promise<void> {
    if (this.#isCheckingIdentity || this.#isClosed) return;
    this.#isCheckingIdentity = true;
    try {
      const now = await identityOf(this.#dir);
      if (this.#isClosed || now === this.#identity) return;
      // Gone: step 4 re-arms when it comes back; a new identity without that event is caught on a later tick.
      if (now === undefined) {
        this.#identity = undefined;
        return;
      }
      const wasGone = this.#identity === undefined;
      this.#rearm(chokidar, base, wasGone ? 'mount reappeared' : 'mount remounted');
      if (!wasGone) this.#options.onRemount?.({ dir: this.#dir });
    } finally {
      this.#isCheckingIdentity = false;
    }
  }

  #arm(chokidar: typeof import('chokidar'), base: object): void {
    this.#identity = identityOfSync(this.#dir);
    // 1.
    const watcher = chokidar.watch(this.#dir, base);
    this.#watcher = watcher;
    watcher.on('all', (_event, file) => {
      if (this.#isClosed || watcher !== this.#watcher) return;
      const name = path.basename(file);
      // 2. `..data` is handled from raw events below; other `..` names are the writer's scratch.
      if (name.startsWith('..')) return;
      if (file === this.#dir) return this.#schedule('mount changed');
      // Atomic-writer layout: visible names are symlinks that change only around a `..data` swap.
      if (hasDataLink(this.#dir)) return;
      // 3.
      this.#schedule(`${name} changed`);
    });
    // 2. chokidar throttles `change` per path (50 ms), which would drop a second swap in quick succession;
    //    the raw fs.watch event of the mount directory is not throttled.
    watcher.on('raw', (_event, evPath, details) => {
      if (this.#isClosed || watcher !== this.#watcher) return;
      if (evPath === '..data' && (details as { watchedPath?: string } | undefined)?.watchedPath === this.#dir) this.#fire('..data swapped');
    });
    watcher.on('error', (e) => this.#options.onError?.(e as Error));
    this.#ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  }

  #schedule(reason: string): void {
    if (this.#debounce) clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#debounce = undefined;
      this.#fire(reason);
    }, this.#options.debounceMs);
    this.#debounce.unref();
  }

  #fire(reason: string): void {
    if (this.#isClosed) return;
    if (this.#debounce) {
      clearTimeout(this.#debounce);
      this.#debounce = undefined;
    }
    try {
      this.#options.onChange(reason);
    } catch (error) {
      this.#options.onError?.(error as Error);
    }
  }

  async close(): Promise<void> {
    this.#isClosed = true;
    if (this.#debounce) clearTimeout(this.#debounce);
    if (this.#recheck) clearInterval(this.#recheck);
    if (this.#identityTimer) clearInterval(this.#identityTimer);
    await Promise.all([this.#watcher?.close(), this.#parent?.close()]);
  }
}

function hasDataLink(dir: string): boolean {
  try {
    return fs.lstatSync(path.join(dir, '..data')).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Device, inode and birth time of a directory (`dev:ino:btime`), or undefined when it cannot be stat'ed. */
function describeIdentity(s: fs.BigIntStats): string {
  return `${s.dev}:${s.ino}:${s.birthtimeNs}`;
}

function identityOfSync(dir: string): string | undefined {
  try {
    return describeIdentity(fs.statSync(dir, { bigint: true }));
  } catch {
    return undefined;
  }
}

async function identityOf(dir: string): Promise<string | undefined> {
  try {
    return describeIdentity(await fs.promises.stat(dir, { bigint: true }));
  } catch {
    return undefined;
  }
}
