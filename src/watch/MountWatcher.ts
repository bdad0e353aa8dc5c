import * as fs from 'node:fs';
import * as path from 'node:path';

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
 * 1. `fs.watch` (inotify on Linux) watches the mount directory itself, not the visible files: a watch on a file
 *    follows the symlink to the old inode and dies when the old dir is deleted (kubernetes#111947). A directory
 *    watch reports changes of its entries without listing them, so arming costs the same at 10 or 10,000 secrets
 *    (chokidar, used before, scanned and stat'ed every entry; see docs/decisions/0004-linear-validation.md).
 * 2. An event on `..data` is the commit point of a kubelet/CSI atomic write: reload at once. Other `..` names
 *    (`..data_tmp`, timestamped dirs) are the writer's scratch: ignored. Event types are not filtered (a rename
 *    shows as rename or change depending on the platform).
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
  #watcher: fs.FSWatcher | undefined;
  #parent: fs.FSWatcher | undefined;
  #debounce: NodeJS.Timeout | undefined;
  #recheck: NodeJS.Timeout | undefined;
  #identityTimer: NodeJS.Timeout | undefined;
  #identity: string | undefined;
  #isCheckingIdentity = false;
  #isClosed = false;

  constructor(dir: string, options: MountWatcherOptions) {
    this.#dir = path.resolve(dir);
    this.#options = options;
  }

  /** Arm the watchers; resolves once they are armed (fs.watch is armed when it returns). */
  start(): Promise<void> {
    this.#arm();
    // 4.
    const parent = path.dirname(this.#dir);
    const name = path.basename(this.#dir);
    try {
      this.#parent = fs.watch(parent, { persistent: false }, (_event, file) => {
        if (this.#isClosed || (file !== null && String(file) !== name)) return;
        this.#onParentEvent();
      });
      this.#parent.on('error', (e) => this.#options.onError?.(e));
    } catch (error) {
      this.#options.onError?.(error as Error);
    }
    // 5.
    if (this.#options.recheckMs > 0) {
      this.#recheck = setInterval(() => this.#fire('periodic recheck'), this.#options.recheckMs);
      this.#recheck.unref();
    }
    // 6.
    const every = this.#options.remountCheckMs ?? 500;
    if (every > 0) {
      this.#identityTimer = setInterval(() => void this.#checkIdentity(), every);
      this.#identityTimer.unref();
    }
    return Promise.resolve();
  }

  /** Re-arm on the directory there now and reload (twice: the second says the new watch is armed). */
  #rearm(reason: string): void {
    this.#arm();
    this.#fire(reason);
    this.#fire(`${reason}, watcher ready`);
  }

  async #checkIdentity(): Promise<void> {
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
      this.#rearm(wasGone ? 'mount reappeared' : 'mount remounted');
      if (!wasGone) this.#options.onRemount?.({ dir: this.#dir });
    } finally {
      this.#isCheckingIdentity = false;
    }
  }

  /**
   * The mount's entry changed in its parent: deleted, recreated, renamed. Inode numbers are reused at once on
   * many file systems, so a recreated mount cannot be told by its inode: re-arm on whatever directory is there
   * now and reload (identical bytes are no rotation).
   */
  #onParentEvent(): void {
    if (!isDirectory(this.#dir)) {
      this.#watcher?.close();
      this.#watcher = undefined;
      this.#identity = undefined;
      return;
    }
    this.#rearm('mount recreated');
  }

  #arm(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
    this.#identity = identityOfSync(this.#dir);
    let watcher: fs.FSWatcher;
    try {
      // 1.
      watcher = fs.watch(this.#dir, { persistent: false }, (_event, file) => {
        if (this.#isClosed || watcher !== this.#watcher) return;
        const name = file === null ? undefined : String(file);
        // 2.
        if (name === '..data') return this.#fire('..data swapped');
        if (name?.startsWith('..')) return;
        if (name === undefined) return this.#schedule('mount changed');
        // Atomic-writer layout: visible names are symlinks that change only around a `..data` swap.
        if (hasDataLink(this.#dir)) return;
        // 3.
        this.#schedule(`${name} changed`);
      });
    } catch (error) {
      // The mount is missing (deleted, not yet recreated): the parent watcher re-arms when it comes back.
      this.#options.onError?.(error as Error);
      return;
    }
    this.#watcher = watcher;
    watcher.on('error', (e) => {
      // The directory went away (inotify drops the watch): stop this one; the parent watcher re-arms.
      if (watcher === this.#watcher) {
        watcher.close();
        this.#watcher = undefined;
      }
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' && (e as NodeJS.ErrnoException).code !== 'EPERM') this.#options.onError?.(e);
    });
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
    this.#watcher?.close();
    this.#parent?.close();
  }
}

function isDirectory(dir: string): boolean {
  return fs.statSync(dir, { throwIfNoEntry: false })?.isDirectory() ?? false;
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
