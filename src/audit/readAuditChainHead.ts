import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** Where an existing trail file ends. */
export interface AuditChainHead {
  /** `seq` and `hash` of the last well-formed event; 0 and undefined when the file holds none. */
  seq: number;
  hash: string | undefined;
  /** Bytes in the file. */
  size: number;
  /** False when the file ends in the middle of a line (a crash or a failed write): the next write starts a new line. */
  endsWithNewline: boolean;
  /** The file is not empty but its tail held no well-formed event: the chain cannot be continued. */
  isTailCorrupt: boolean;
}

/** Lines are far shorter; the window only has to reach back past a torn last line. */
const WINDOW = 1024 * 1024;
const HASH = /^[0-9a-f]{64}$/;

/**
 * Reads the end of an audit JSONL file to continue its chain: the last line that parses as an event with an
 * integer `seq` and a `hash`. Returns undefined when the file does not exist. Reads at most the last 1 MiB,
 * whatever the file's size.
 *
 * @example
 * ```ts
 * const head = readAuditChainHead('/var/log/app/audit.jsonl'); // { seq: 1042, hash: '…', … }
 * ```
 */
export function readAuditChainHead(path: string): AuditChainHead | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { seq: 0, hash: undefined, size, endsWithNewline: true, isTailCorrupt: false };
    const length = Math.min(size, WINDOW);
    const buf = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(fd, buf, read, length - read, size - length + read);
      if (n === 0) break;
      read += n;
    }
    const text = buf.toString('utf8', 0, read);
    const endsWithNewline = text.endsWith('\n');
    const lines = text.split('\n');
    // Without a final newline the last piece is torn; with one, the last piece is empty. Skip it either way.
    for (let i = lines.length - 2; i >= 0; i--) {
      // The first piece may start mid-line when the window did not reach the file's start.
      if (i === 0 && length < size) break;
      try {
        const event = JSON.parse(lines[i] as string) as { seq?: unknown; hash?: unknown } | null;
        if (Number.isSafeInteger(event?.seq) && typeof event?.hash === 'string' && HASH.test(event.hash)) {
          return { seq: event.seq as number, hash: event.hash, size, endsWithNewline, isTailCorrupt: false };
        }
      } catch {
        // Not an event: keep looking backwards.
      }
    }
    return { seq: 0, hash: undefined, size, endsWithNewline, isTailCorrupt: true };
  } finally {
    closeSync(fd);
  }
}
