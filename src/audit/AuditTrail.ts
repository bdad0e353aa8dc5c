import { closeSync, fdatasync, fstatSync, fsyncSync, openSync, readSync } from 'node:fs';
import pino, { type DestinationStream } from 'pino';
import { AuditWriteError } from '../errors/AuditWriteError';
import { ConfigError } from '../errors/ConfigError';
import { getLogger } from '../log/createLogger';
import { AUDIT_GENESIS_HASH, AUDIT_SCHEMA_VERSION } from './AuditEvent';
import type { AuditEventInput } from './AuditEventInput';
import type { AuditHmac } from './AuditHmac';
import { canonicalAuditJson } from './canonicalAuditJson';
import { readAuditChainHead } from './readAuditChainHead';
import { sha256Hex } from './sha256Hex';
import { toAuditFields } from './toAuditFields';

/**
 * How far an event must get before `record` returns (file sinks):
 * - `write` (default): handed to the kernel with a synchronous write(2). Survives a crash of the process, not of
 *   the machine. About 1-4 µs.
 * - `fsync`: write(2) and fsync(2) per event. Survives power loss; ~0.1-1 ms per event, so a few thousand
 *   events per second at most.
 * - `batch`: write(2) per event, then one fdatasync(2) covers every event written meanwhile (group commit):
 *   `record` resolves once its event is on disk and rejects if the sync fails. Durable like `fsync`, throughput
 *   like `write`, latency of one sync. `recordSync` is not available.
 */
export type AuditDurability = 'write' | 'fsync' | 'batch';

/**
 * Where the trail writes, each through a pino destination:
 * - `file`: a JSONL file, opened with `pino.destination({ sync: true, append: true, mkdir: true })`; a failed write
 *   is seen synchronously. On start the chain continues from the file's last event. The only sink that can be
 *   reopened after a failure (and for log rotation, see reopen()).
 * - `stdout`: `pino.destination({ fd: 1, sync: true })`, e.g. for a log collector reading the container's stdout.
 * - `transport`: `pino.transport({ target, options })`, a worker thread. Writes are asynchronous, so only a
 *   dead transport is detected (fail-closed refuses from then on), not every lost line.
 * - `stream`: any pino DestinationStream you own (not closed by the trail). After a failure it is not used again.
 */
export type AuditSinkOptions =
  | { type: 'file'; path: string; durability?: AuditDurability; mode?: number }
  | { type: 'stdout' }
  | { type: 'transport'; target: string; options?: Record<string, unknown> }
  | { type: 'stream'; stream: DestinationStream };

/** Options of {@link AuditTrail}. */
export interface AuditTrailOptions {
  sink: AuditSinkOptions;
  /** Makes the `secret` references (and references of clear fields that fail their pattern). Not closed by the trail. */
  hmac: AuditHmac;
  /**
   * Refuse the access (AuditWriteError) when its event cannot be written. Default: true when
   * NODE_ENV=production. When false, the failure goes to the operational logger and the call proceeds.
   */
  failClosed?: boolean;
  /** Secret names that may appear in clear (e.g. non-sensitive config names). Default: none; all are references. */
  clearNames?: readonly string[] | ((name: string) => boolean);
  /** Operational logger (never the audit sink). Default: the library's logger. */
  logger?: { error(obj: object, msg: string): void };
  /** Milliseconds since the epoch; for tests. Default Date.now. */
  clock?: () => number;
}

interface SinkStream extends DestinationStream {
  fd?: number;
  on?(event: string, listener: (error: Error) => void): unknown;
  once?(event: string, listener: (error?: Error) => void): unknown;
  end?(): void;
  destroy?(): void;
  flush?(cb?: (error?: Error) => void): void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

const RESOLVED = Promise.resolve();
const FAILURE_LOG_INTERVAL_MS = 10_000;

/** Whether a file's last byte is not a newline (a torn line left by a crash or a failed write). */
function endsMidLine(path: string): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The tamper-evident audit trail: one JSON line per event (schema: AuditEvent), hash-chained, written
 * synchronously through a pino destination, failing closed when configured.
 *
 * Recording an event (numbered as in the code):
 * 1. Keep only the schema's fields of the input; each clear field must match its pattern, else it is recorded as
 *    its HMAC reference; the secret name becomes a reference unless allow-listed.
 * 2. Open the sink if needed. For a file, the first open continues the chain from the file's last event, and a
 *    torn last line is closed with a newline so the next event starts on a line of its own.
 * 3. Take `seq` = last + 1, `time`, `prev` = last hash; hash the canonical JSON; append `hash`.
 * 4. Write the line synchronously. On failure the chain does not advance (the event does not exist), the sink is
 *    dropped (a file is reopened on the next event), and the access is refused with AuditWriteError when failing
 *    closed, or the failure is logged to the operational logger when failing open.
 * 5. On success the chain advances; with `fsync` durability the file is synced (a failed sync still advances the
 *    chain, since the line is in the file, but is refused like a failed write).
 *
 * Everything up to the write is synchronous, so concurrent callers are serialised by the event loop and the
 * chain is in call order without a lock. One trail per file and process: two writers on one file break the chain.
 *
 * @example
 * ```ts
 * const trail = new AuditTrail({ sink: { type: 'file', path: '/var/log/app/audit.jsonl' }, hmac, failClosed: true });
 * trail.recordSync({ requestId: 'r1', actor, tenant: 'acme', action: 'secrets.use', name: 'STRIPE_KEY', outcome: 'allowed', cache: 'hit' });
 * ```
 */
export class AuditTrail {
  /** Whether a failed write refuses the access. */
  readonly isFailClosed: boolean;
  readonly #sink: AuditSinkOptions;
  readonly #durability: AuditDurability;
  readonly #hmac: AuditHmac;
  readonly #isClearName: (name: string) => boolean;
  readonly #loggerOption: AuditTrailOptions['logger'];
  readonly #clock: () => number;
  #stream: SinkStream | undefined;
  #streamError: Error | undefined;
  #isStreamFailed = false;
  #isHeadLoaded = false;
  #seq = 0;
  #hash = AUDIT_GENESIS_HASH;
  #isClosed = false;
  #waiters: Waiter[] = [];
  #syncing: Promise<void> | undefined;
  #droppedSinceLog = 0;
  #lastFailureLogAt = -Infinity;

  constructor(options: AuditTrailOptions) {
    const sink = options.sink;
    if (sink?.type === 'file' ? typeof sink.path !== 'string' || sink.path === '' : !['stdout', 'transport', 'stream'].includes(sink?.type)) {
      throw new ConfigError('The audit sink must be { type: "file", path }, { type: "stdout" }, { type: "transport", target } or { type: "stream", stream }.');
    }
    this.#sink = sink;
    this.#durability = sink.type === 'file' ? (sink.durability ?? 'write') : 'write';
    if (!['write', 'fsync', 'batch'].includes(this.#durability)) throw new ConfigError('Audit durability must be write, fsync or batch.');
    this.#hmac = options.hmac;
    this.isFailClosed = options.failClosed ?? process.env.NODE_ENV === 'production';
    const clearNames = options.clearNames;
    if (typeof clearNames === 'function') this.#isClearName = clearNames;
    else {
      const set = new Set(clearNames ?? []);
      this.#isClearName = (name) => set.has(name);
    }
    this.#loggerOption = options.logger;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * Records one event. Resolves when the event is written (with `batch` durability: synced); rejects with
   * AuditWriteError when it could not be and the trail fails closed, in which case the caller must refuse the
   * access. Throws TypeError synchronously for an invalid action, outcome or cache state.
   */
  record(input: AuditEventInput): Promise<void> {
    let isWritten: boolean;
    try {
      isWritten = this.#append(input);
    } catch (error) {
      if (error instanceof TypeError) throw error;
      return Promise.reject(error);
    }
    return isWritten && this.#durability === 'batch' ? this.#afterSync() : RESOLVED;
  }

  /**
   * Records one event without a promise (the hot path of `use`): returns once the line is written, throws
   * AuditWriteError when it could not be and the trail fails closed. Not available with `batch` durability.
   */
  recordSync(input: AuditEventInput): void {
    if (this.#durability === 'batch') throw new ConfigError('recordSync cannot wait for a batched sync; use record() with batch durability.');
    this.#append(input);
  }

  /**
   * Opens the sink now instead of on the first event (a file: reads where its chain ends), so that start-up fails
   * early on a bad sink. Throws AuditWriteError when it cannot, whether the trail fails closed or open.
   */
  open(): void {
    if (this.#isClosed) throw new AuditWriteError('The audit trail is closed; create a new one.');
    try {
      this.#open();
    } catch (error) {
      const code = (error as { code?: unknown } | null)?.code;
      throw new AuditWriteError(`The audit sink ${this.#describeSink()} cannot be opened (${typeof code === 'string' ? code : 'error'}). Fix the audit sink.`, { cause: error });
    }
  }

  /** `seq` and `hash` of the last event written: publish them elsewhere from time to time to anchor the chain. */
  head(): { seq: number; hash: string } {
    return { seq: this.#seq, hash: this.#hash };
  }

  /** Closes the file and opens it again on the next event (after log rotation); the chain continues. */
  reopen(): void {
    if (this.#sink.type === 'file') this.#dropStream();
  }

  /** Resolves when every event recorded so far is as durable as configured (pending batched syncs done). */
  async flush(): Promise<void> {
    // #syncBatch never rejects: failures are delivered to each record() promise.
    while (this.#syncing !== undefined) await this.#syncing;
    const stream = this.#stream;
    if (this.#sink.type === 'transport' && stream?.flush !== undefined) {
      await new Promise<void>((resolve) => stream.flush?.(() => resolve()));
    }
  }

  /** Flushes and closes the sink (a `stream` sink is left open). Later events fail like a failed write. */
  async close(): Promise<void> {
    if (this.#isClosed) return;
    await this.flush().catch(() => undefined);
    this.#isClosed = true;
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream === undefined || this.#sink.type === 'stream' || stream.end === undefined) return;
    await new Promise<void>((resolve) => {
      // A transport's worker is unref'd, so 'close' may never come before the process exits; 'finish' means the
      // worker has taken every line (a SonicBoom emits both).
      stream.once?.('finish', () => resolve());
      stream.once?.('close', () => resolve());
      stream.once?.('error', () => resolve());
      try {
        stream.end?.();
      } catch {
        resolve();
      }
    });
  }

  /** Steps 1-5 of the class comment. Returns whether the event was written; throws AuditWriteError when failing closed. */
  #append(input: AuditEventInput): boolean {
    // 1. The allowlist.
    const fields = toAuditFields(input, this.#hmac, this.#isClearName);
    if (this.#isClosed) return this.#fail(new Error('the audit trail is closed'), fields.action);
    // 2. The sink.
    let stream: SinkStream;
    try {
      stream = this.#open();
    } catch (error) {
      return this.#fail(error, fields.action);
    }
    // 3. The chain.
    const seq = this.#seq + 1;
    const canonical = canonicalAuditJson({ v: AUDIT_SCHEMA_VERSION, seq, time: new Date(this.#clock()).toISOString(), ...fields, prev: this.#hash });
    const hash = sha256Hex(canonical);
    // 4. The write.
    const error = this.#write(stream, `${canonical.slice(0, -1)},"hash":"${hash}"}\n`);
    if (error !== undefined) {
      this.#dropStream();
      return this.#fail(error, fields.action);
    }
    // 5. Advance, then sync if asked.
    this.#seq = seq;
    this.#hash = hash;
    if (this.#durability === 'fsync') {
      try {
        fsyncSync(stream.fd as number);
      } catch (syncError) {
        this.#dropStream();
        return this.#fail(syncError, fields.action);
      }
    }
    return true;
  }

  #open(): SinkStream {
    if (this.#stream !== undefined) return this.#stream;
    if (this.#isStreamFailed) throw new Error('the audit stream failed earlier and cannot be reopened');
    const sink = this.#sink;
    let stream: SinkStream;
    let hasTornLine = false;
    if (sink.type === 'file') {
      if (!this.#isHeadLoaded) {
        const head = readAuditChainHead(sink.path);
        if (head?.hash !== undefined) {
          this.#seq = head.seq;
          this.#hash = head.hash;
        } else if (head?.isTailCorrupt === true) {
          this.#logger().error({ audit: 'trail', sink: sink.path }, 'The audit file ends without a well-formed event: starting a new chain. verifyAuditLog will report the break.');
        }
        this.#isHeadLoaded = true;
      }
      hasTornLine = endsMidLine(sink.path);
      stream = pino.destination({ dest: sink.path, sync: true, append: true, mkdir: true, ...(sink.mode === undefined ? {} : { mode: sink.mode }) });
    } else if (sink.type === 'stdout') {
      stream = pino.destination({ fd: 1, sync: true });
    } else if (sink.type === 'transport') {
      stream = pino.transport({ target: sink.target, options: sink.options ?? {} }) as SinkStream;
    } else {
      stream = sink.stream as SinkStream;
    }
    // A sync SonicBoom reports a failed write through this event before write() returns; a transport later.
    stream.on?.('error', (error) => {
      if (this.#stream === stream) this.#streamError = error;
    });
    this.#stream = stream;
    this.#streamError = undefined;
    if (hasTornLine) {
      const error = this.#write(stream, '\n');
      if (error !== undefined) {
        this.#dropStream();
        throw error;
      }
    }
    return stream;
  }

  #write(stream: SinkStream, line: string): Error | undefined {
    const earlier = this.#takeStreamError();
    if (earlier !== undefined) return earlier;
    try {
      stream.write(line);
    } catch (error) {
      return error instanceof Error ? error : new Error(String(error));
    }
    return this.#takeStreamError();
  }

  #takeStreamError(): Error | undefined {
    const error = this.#streamError;
    this.#streamError = undefined;
    return error;
  }

  #dropStream(): void {
    const stream = this.#stream;
    this.#stream = undefined;
    this.#streamError = undefined;
    if (stream === undefined) return;
    if (this.#sink.type === 'stream') {
      // Not ours to close or reopen, and a SonicBoom keeps a failed line to retry: using it again could write an
      // event that is not in the chain.
      this.#isStreamFailed = true;
      return;
    }
    try {
      if (stream.destroy !== undefined) stream.destroy();
      else stream.end?.();
    } catch {
      // Already broken; the error listener above ignores whatever it emits now.
    }
  }

  /** Fail closed (throw) or open (log, rate-limited, and go on). Returns false: the event was not written. */
  #fail(error: unknown, action: string): false {
    const code = (error as { code?: unknown } | null)?.code;
    const why = typeof code === 'string' ? code : error instanceof Error ? error.message : 'unknown error';
    const where = this.#describeSink();
    if (this.isFailClosed) {
      throw new AuditWriteError(`The audit event for ${action} could not be written to ${where} (${why}); the access is refused because the audit trail fails closed. Fix the audit sink.`, { cause: error });
    }
    this.#droppedSinceLog++;
    const now = Date.now();
    if (now - this.#lastFailureLogAt >= FAILURE_LOG_INTERVAL_MS) {
      this.#logger().error(
        { audit: 'trail', sink: where, code: why, dropped: this.#droppedSinceLog },
        'Audit events could not be written; continuing because the audit trail fails open (failClosed: false).',
      );
      this.#lastFailureLogAt = now;
      this.#droppedSinceLog = 0;
    }
    return false;
  }

  #describeSink(): string {
    const sink = this.#sink;
    return sink.type === 'file' ? `file ${sink.path}` : sink.type === 'transport' ? `transport ${sink.target}` : sink.type;
  }

  #logger(): { error(obj: object, msg: string): void } {
    return this.#loggerOption ?? getLogger();
  }

  /** Batched durability: wait for the next fdatasync that covers everything written so far (group commit). */
  #afterSync(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#waiters.push({ resolve, reject });
      if (this.#syncing === undefined) this.#syncing = this.#syncBatch();
    });
  }

  async #syncBatch(): Promise<void> {
    while (this.#waiters.length > 0) {
      const batch = this.#waiters;
      this.#waiters = [];
      const fd = this.#stream?.fd;
      const error = await new Promise<Error | null>((resolve) => {
        if (fd === undefined || fd < 0) resolve(new Error('the audit file is not open'));
        else fdatasync(fd, resolve);
      });
      for (const waiter of batch) {
        if (error === null) waiter.resolve();
        else {
          try {
            this.#fail(error, 'a batch of events');
            waiter.resolve();
          } catch (refusal) {
            waiter.reject(refusal);
          }
        }
      }
      if (error !== null) this.#dropStream();
    }
    this.#syncing = undefined;
  }
}
