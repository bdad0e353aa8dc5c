import * as fs from 'node:fs';
import * as path from 'node:path';
import { FileTooLargeError } from '../../errors/FileTooLargeError';
import { MountReadError } from '../../errors/MountReadError';
import { UnsafeFileError } from '../../errors/UnsafeFileError';
import type { ValidationProblem } from '../../errors/ValidationError';
import type { LockedSlice, SecureArena } from '../../memory/SecureArena';
import type { RawValue } from '../../store/RawValue';
import { releaseValues } from '../../store/releaseValues';

/** How a mount directory is laid out. */
export type MountLayout = 'atomic-writer' | 'per-file' | 'plain';

/** Options of {@link readMount}. */
export interface ReadMountOptions {
  /** Refuse files larger than this. Default 65,536. */
  maxFileBytes?: number;
  /** Drop one trailing `\n` (or `\r\n`). Default true. */
  shouldStripTrailingNewline?: boolean;
  /** Attempts when the data dir vanishes or files change mid-read. Default 5. */
  attempts?: number;
}

/** A snapshot as read from a mount. The caller owns the slices (release or store them). */
export interface MountRead {
  layout: MountLayout;
  /** The directory the values were read from (the resolved `..data` dir for the atomic-writer layout). */
  dataDir: string;
  values: Map<string, RawValue>;
  problems: ValidationProblem[];
}

const O_NONBLOCK = fs.constants.O_NONBLOCK ?? 0;

/**
 * Read the named secrets from a mount as one snapshot.
 *
 * Algorithm (numbers match the code):
 * 1. Resolve the mount directory (`realpath`); it must exist and be a directory.
 * 2. Detect the layout: `..data` is a symlink -> atomic-writer (kubelet / CSI driver); else the directory is a
 *    mount point (another device than its parent) -> per-file (AWS CSI provider); else plain.
 * 3. atomic-writer: resolve `..data` once to its timestamped dir (it must be a `..`-named child of the mount) and
 *    read every name from that dir, not through the visible symlinks, so one read is one consistent set.
 * 4. Each file: `stat` (follows links) must be a regular file whose real path is inside the mount; open with
 *    O_NONBLOCK (a fifo swapped in after the stat never blocks us), `fstat` again, refuse over the size limit,
 *    read straight into locked memory, and make sure nothing more could be read (the file did not grow).
 * 5. If `..data` no longer points at the dir we read (the writer swapped, and may be deleting the old dir), or a
 *    file changed between its stat and the end of its read, release what was read and start again from 2.
 * A name that is a directory holding `0` (and maybe `1`, …) is Azure's `objectVersionHistory` layout: `0` is the
 * current value and `1` the previous one (kept for `useVersions`).
 * Names starting with `..` are reserved and never read. A missing file is simply absent (the schema decides
 * whether that is an error).
 */
export function readMount(dir: string, names: readonly string[], arena: SecureArena, options: ReadMountOptions = {}): MountRead {
  const maxBytes = options.maxFileBytes ?? 65_536;
  const strip = options.shouldStripTrailingNewline ?? true;
  const attempts = options.attempts ?? 5;
  const source = `file://${dir}`;
  // 1.
  let root: string;
  try {
    root = fs.realpathSync.native(dir);
    if (!fs.statSync(root).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new MountReadError(`Secrets mount ${dir} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Check SECRETS_SOURCE and that the volume is mounted.`);
  }
  for (let attempt = 1; ; attempt++) {
    // 2.
    const layout = detectLayout(root);
    let dataDir = root;
    if (layout === 'atomic-writer') {
      // 3.
      try {
        dataDir = fs.realpathSync.native(path.join(root, '..data'));
      } catch {
        if (attempt < attempts) continue;
        throw new MountReadError(`Secrets mount ${dir}: ..data points nowhere after ${attempts} attempts; the writer may be stuck.`);
      }
      if (path.dirname(dataDir) !== root || !path.basename(dataDir).startsWith('..')) {
        throw new UnsafeFileError(`Secrets mount ${dir}: ..data resolves outside the mount; refusing to read it.`);
      }
    }
    const values = new Map<string, RawValue>();
    const problems: ValidationProblem[] = [];
    let isRetry = false;
    for (const name of names) {
      if (name.startsWith('..')) continue;
      try {
        const slice = readOne(root, dataDir, name, maxBytes, arena, true);
        if (slice === 'directory') {
          // Azure's objectVersionHistory: `<name>/0` is the newest version, `<name>/1` the one before.
          const history = historyDir(dataDir, name);
          if (!history) throw new UnsafeFileError(`file ${name} is not a regular file (directory); refusing it`);
          const current = readOne(root, history, '0', maxBytes, arena);
          if (current === 'changed' || current === 'missing') {
            isRetry = true;
            break;
          }
          const previous = fs.existsSync(path.join(history, '1')) ? readOne(root, history, '1', maxBytes, arena) : 'missing';
          if (previous === 'changed') {
            current.free();
            isRetry = true;
            break;
          }
          if (strip) {
            stripNewline(current);
            if (previous !== 'missing') stripNewline(previous);
          }
          values.set(name, { slice: current, source, ...(previous !== 'missing' ? { previous } : {}) });
          continue;
        }
        if (slice === 'missing') {
          if (layout === 'atomic-writer' && !fs.existsSync(dataDir)) {
            isRetry = true;
            break;
          }
          continue;
        }
        if (slice === 'changed') {
          isRetry = true;
          break;
        }
        if (strip) stripNewline(slice);
        values.set(name, { slice, source });
      } catch (error) {
        problems.push({ name, reason: (error as Error).message });
      }
    }
    // 5. The writer deletes an old dir only after swapping `..data` away from it, so if `..data` still points
    //    where it pointed when we began, nothing we read was being deleted.
    if (isRetry || (layout === 'atomic-writer' && !stillPointsAt(root, dataDir))) {
      releaseValues(values.values());
      if (attempt < attempts) continue;
      throw new MountReadError(`Secrets mount ${dir} kept changing during ${attempts} read attempts; try again.`);
    }
    return { layout, dataDir, values, problems };
  }
}

/** The directory of a version-history entry (a directory holding a file `0`), or undefined. */
function historyDir(dataDir: string, name: string): string | undefined {
  const dir = path.join(dataDir, name);
  try {
    if (!fs.statSync(dir).isDirectory()) return undefined;
    const real = fs.realpathSync.native(dir);
    return fs.lstatSync(path.join(real, '0')).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}

function stillPointsAt(root: string, dataDir: string): boolean {
  try {
    return fs.realpathSync.native(path.join(root, '..data')) === dataDir;
  } catch {
    return false;
  }
}

/** Step 2: which writer made this directory. */
export function detectLayout(root: string): MountLayout {
  try {
    if (fs.lstatSync(path.join(root, '..data')).isSymbolicLink()) return 'atomic-writer';
  } catch {
    // no ..data
  }
  try {
    if (fs.statSync(root).dev !== fs.statSync(path.dirname(root)).dev) return 'per-file';
  } catch {
    // fall through
  }
  return 'plain';
}

/** One byte read past the end of each file, to see that it did not grow. */
const probe = Buffer.alloc(1);

/**
 * Step 4 for one name. Returns the slice, 'missing', 'changed' (retry) or 'directory' (a version-history entry,
 * or refused by the caller). Throws a typed error for unsafe files.
 */
function readOne(root: string, dataDir: string, name: string, maxBytes: number, arena: SecureArena, allowDirectory: true): LockedSlice | 'missing' | 'changed' | 'directory';
function readOne(root: string, dataDir: string, name: string, maxBytes: number, arena: SecureArena): LockedSlice | 'missing' | 'changed';
function readOne(root: string, dataDir: string, name: string, maxBytes: number, arena: SecureArena, allowDirectory = false): LockedSlice | 'missing' | 'changed' | 'directory' {
  // Names have no separator (schema names, or `0` / `1`), so no path.join is needed (a cost per file).
  const file = `${dataDir}${path.sep}${name}`;
  let real = file;
  let st: fs.Stats;
  try {
    // `dir` is a real path and names have no separator, so only a symlink can lead elsewhere: a plain file
    // needs no realpath (a measurable cost per file at start-up).
    const lst = fs.lstatSync(file, { throwIfNoEntry: false });
    if (!lst) return 'missing';
    st = lst;
    if (st.isSymbolicLink()) {
      st = fs.statSync(file);
      real = fs.realpathSync.native(file);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      // A dangling visible symlink (the CSI driver creates new names before the swap) counts as missing.
      return 'missing';
    }
    if (code === 'ELOOP') throw new UnsafeFileError(`file ${name} is a symlink loop; refusing it`);
    throw new MountReadError(`file ${name} cannot be read (${code ?? 'error'}); check its permissions`);
  }
  if (!real.startsWith(root + path.sep)) throw new UnsafeFileError(`file ${name} resolves outside the mount; refusing it`);
  if (allowDirectory && st.isDirectory()) return 'directory';
  if (!st.isFile()) throw new UnsafeFileError(`file ${name} is not a regular file (${kindOf(st)}); refusing it`);
  if (st.size > maxBytes) throw new FileTooLargeError(`file ${name} is ${st.size} bytes, over the ${maxBytes}-byte limit (SECRETS_MAX_FILE_BYTES)`);
  let fd: number;
  try {
    fd = fs.openSync(real, fs.constants.O_RDONLY | O_NONBLOCK);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'changed';
    throw new MountReadError(`file ${name} cannot be opened (${(error as NodeJS.ErrnoException).code ?? 'error'}); check its permissions`);
  }
  try {
    const fst = fs.fstatSync(fd);
    if (!fst.isFile()) throw new UnsafeFileError(`file ${name} is not a regular file (${kindOf(fst)}); refusing it`);
    if (fst.ino !== st.ino || fst.size !== st.size) return 'changed';
    const slice = arena.alloc(fst.size);
    let off = 0;
    while (off < fst.size) {
      const n = fs.readSync(fd, slice.view, off, fst.size - off, off);
      if (n === 0) break;
      off += n;
    }
    if (off !== fst.size || fs.readSync(fd, probe, 0, 1, fst.size) !== 0) {
      slice.free();
      return 'changed';
    }
    return slice;
  } finally {
    fs.closeSync(fd);
  }
}

function stripNewline(slice: LockedSlice): void {
  const v = slice.view;
  if (v.length > 0 && v[v.length - 1] === 0x0a) slice.truncate(v.length >= 2 && v[v.length - 2] === 0x0d ? v.length - 2 : v.length - 1);
}

function kindOf(st: fs.Stats): string {
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'device';
  return 'special file';
}
