import * as fs from 'node:fs';
import * as path from 'node:path';

/** File contents by visible name. */
export type Payload = Record<string, string | Uint8Array>;

/** Options of {@link AtomicWriter}. */
export interface AtomicWriterOptions {
  /** File mode of secret files. Default 0o644 (the CSI driver's default). */
  fileMode?: number;
  /**
   * Reproduce the older CSI driver copy: new visible symlinks are created before the `..data` swap, so a new
   * name dangles for a moment. Default false (kubelet order: after the swap).
   */
  isLegacyCsi?: boolean;
}

/**
 * Writes a directory exactly as kubelet's atomic writer (pkg/volume/util/atomic_writer.go) and the Secrets
 * Store CSI driver do, for tests, fixtures and the demo.
 *
 * Update algorithm (numbers as in kubelet):
 * 1. If the payload equals what `..data` holds, do nothing (identical bytes are never rewritten).
 * 2. Write the payload into a new timestamped dir `..YYYY_MM_DD_HH_MM_SS.<digits>` (mode 0755).
 * 3. Make the symlink `..data_tmp` -> that dir.
 * 4. `rename(..data_tmp, ..data)`: the one atomic step.
 * 5. Create visible symlinks `name -> ..data/name` for new names (before step 4 with `isLegacyCsi`).
 * 6. Remove visible symlinks of names no longer in the payload.
 * 7. Delete the old timestamped dir.
 *
 * @example
 * ```ts
 * const writer = new AtomicWriter('/tmp/mount');
 * writer.write({ DB_PASSWORD: 'hunter2' });
 * ```
 */
export class AtomicWriter {
  readonly dir: string;
  readonly #options: AtomicWriterOptions;
  #counter = 0;

  constructor(dir: string, options: AtomicWriterOptions = {}) {
    this.dir = dir;
    this.#options = options;
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Apply a payload. Returns false when nothing changed (step 1). */
  write(payload: Payload): boolean {
    const dataLink = path.join(this.dir, '..data');
    let oldDir: string | undefined;
    try {
      oldDir = fs.readlinkSync(dataLink);
    } catch {
      oldDir = undefined;
    }
    // 1.
    if (oldDir && this.#sameAs(path.join(this.dir, oldDir), payload)) return false;
    // 2.
    const stamp = new Date().toISOString().replace(/[-:T]/g, '_').replace(/\..*$/, '').replace(/_(\d\d)_(\d\d)$/, '_$1_$2');
    const tsName = `..${stamp}.${process.pid}${String(++this.#counter).padStart(6, '0')}${Math.floor(Math.random() * 1e6)}`;
    const tsDir = path.join(this.dir, tsName);
    fs.mkdirSync(tsDir, { mode: 0o755 });
    for (const [name, content] of Object.entries(payload)) {
      const file = path.join(tsDir, name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, content, { mode: this.#options.fileMode ?? 0o644 });
    }
    const names = Object.keys(payload).map((n) => n.split('/')[0]!);
    if (this.#options.isLegacyCsi) this.#link(names);
    // 3.
    const tmp = path.join(this.dir, '..data_tmp');
    fs.rmSync(tmp, { force: true });
    fs.symlinkSync(tsName, tmp);
    // 4.
    fs.renameSync(tmp, dataLink);
    // 5.
    if (!this.#options.isLegacyCsi) this.#link(names);
    // 6.
    for (const entry of fs.readdirSync(this.dir)) {
      if (entry.startsWith('..') || names.includes(entry)) continue;
      fs.rmSync(path.join(this.dir, entry), { force: true, recursive: true });
    }
    // 7.
    if (oldDir) fs.rmSync(path.join(this.dir, oldDir), { recursive: true, force: true });
    return true;
  }

  #link(names: readonly string[]): void {
    for (const name of new Set(names)) {
      const link = path.join(this.dir, name);
      try {
        fs.lstatSync(link);
      } catch {
        fs.symlinkSync(path.join('..data', name), link);
      }
    }
  }

  #sameAs(dir: string, payload: Payload): boolean {
    try {
      const existing = fs.readdirSync(dir);
      if (existing.length !== Object.keys(payload).length) return false;
      return Object.entries(payload).every(([name, content]) => Buffer.from(content).equals(fs.readFileSync(path.join(dir, name))));
    } catch {
      return false;
    }
  }
}
