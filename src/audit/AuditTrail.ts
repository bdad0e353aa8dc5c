import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import pino, { type DestinationStream } from 'pino';
import { AuditWriteError } from '../errors/AuditWriteError';
import { ConfigError } from '../errors/ConfigError';
import { getLogger } from '../log/createLogger';
import { AUDIT_GENESIS_HASH, AUDIT_SCHEMA_VERSION } from './AuditEvent';
import type { AuditEventInput } from './AuditEventInput';
import { CHECKPOINT_DOMAIN, checkpointBody, checkpointLine, segmentHeader, TRAIL_ID, type AuditCheckpointReason } from './auditCheckpoint';
import type { AuditHmac } from './AuditHmac';
import { AuditSigner, type AuditSigningKeyOptions } from './AuditSigner';
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

/**
 * Signed checkpoints and segments (file sink only). The trail then writes segment files
 * `<base>.<trailId>.<segment, 6 digits>.jsonl` next to the sink's path (`<base>` is the path without `.jsonl`),
 * each starting with a segment header, and signs its head with Ed25519 into the checkpoint file and the
 * operational log (`auditCheckpoint`). Every process is its own trail: a restart starts a new trail id.
 */
export interface AuditSigningOptions extends AuditSigningKeyOptions {
  /** This process's trail id, `[A-Za-z0-9_-]`, 1-64 chars. Default `<hostname>-<pid>-<8 random hex>`. */
  trailId?: string;
  /** Where checkpoints are appended (one line each; several trails may share the file). Default `<base>.checkpoints.jsonl`. */
  checkpointFile?: string;
  /** Sign after this many events. Default 1000. */
  checkpointEvery?: number;
  /** Sign at most this long after an event, milliseconds. Default 5000. */
  checkpointIntervalMs?: number;
  /** Start a new segment once the current one holds this many bytes. Default 64 MiB. */
  segmentMaxBytes?: number;
  /** Start a new segment once the current one is this old, milliseconds. Default 24 h. */
  segmentMaxAgeMs?: number;
}

/** Options of {@link AuditTrail}. */
export interface AuditTrailOptions {
  /** Signed checkpoints, segments and a trail id: what makes the trail hold against a log writer. Default: off. */
  signing?: AuditSigningOptions;
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
  /** Operational logger (never the audit sink), also carrying the checkpoints when it has `info`. Default: the library's logger. */
  logger?: { error(obj: object, msg: string): void; info?(obj: object, msg: string): void };
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
const DEFAULT_CHECKPOINT_EVERY = 1000;
const DEFAULT_CHECKPOINT_INTERVAL_MS = 5000;
const DEFAULT_SEGMENT_MAX_BYTES = 64 * 1024 * 1024;
const DEFAULT_SEGMENT_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** The state of a signed trail. */
interface Signed {
  signer: AuditSigner;
  trailId: string;
  base: string;
  checkpointFile: string;
  every: number;
  intervalMs: number;
  maxBytes: number;
  maxAgeMs: number;
  segment: number;
  /** The current segment's file exists (its header is written). */
  isSegmentCreated: boolean;
  segmentBytes: number;
  segmentOpenedAt: number;
  sinceCheckpoint: number;
  lastCheckpoint: { seq: number; hash: string; sig: string } | undefined;
  checkpointFd: number | undefined;
  timer: NodeJS.Timeout | undefined;
}

const positive = (value: number | undefined, fallback: number, what: string): number => {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(`Audit ${what} must be a positive number.`);
  return value;
};

function defaultTrailId(): string {
  const host = hostname().replace(/[^A-Za-z0-9-]/g, '-').slice(0, 32) || 'host';
  return `${host}-${process.pid}-${randomBytes(4).toString('hex')}`;
}
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
 * The audit trail: one JSON line per event (schema: AuditEvent), hash-chained, written synchronously through a
 * pino destination, failing closed when configured. The chain alone shows accidental damage; against someone who
 * can write the file, give `signing` (signed checkpoints anchored outside the log, segments, a trail id per
 * process; see AuditSigningOptions and verifyAuditTrails).
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
  readonly #signed: Signed | undefined;

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
    if (options.signing !== undefined) this.#signed = this.#signedState(options.signing);
  }

  /** This process's trail id (signed trails), else undefined. */
  get trailId(): string | undefined {
    return this.#signed?.trailId;
  }

  /** Hex of the checkpoint signing public key (signed trails), else undefined: what verifiers need. */
  get publicKey(): string | undefined {
    return this.#signed?.signer.publicKeyHex;
  }

  /** The file of the current segment (signed trails), else the sink's path or undefined. */
  get currentFile(): string | undefined {
    const signed = this.#signed;
    if (signed !== undefined) return this.#segmentPath(signed.segment);
    return this.#sink.type === 'file' ? this.#sink.path : undefined;
  }

  #signedState(o: AuditSigningOptions): Signed {
    const sink = this.#sink;
    if (sink.type !== 'file') throw new ConfigError('Signed audit checkpoints need a file sink ({ type: "file", path }).');
    const trailId = o.trailId ?? defaultTrailId();
    if (typeof trailId !== 'string' || !TRAIL_ID.test(trailId)) throw new ConfigError('The audit trail id must be 1-64 letters, digits, _ or -.');
    const base = sink.path.endsWith('.jsonl') ? sink.path.slice(0, -'.jsonl'.length) : sink.path;
    const every = positive(o.checkpointEvery, DEFAULT_CHECKPOINT_EVERY, 'checkpointEvery');
    const intervalMs = positive(o.checkpointIntervalMs, DEFAULT_CHECKPOINT_INTERVAL_MS, 'checkpointIntervalMs');
    const maxBytes = positive(o.segmentMaxBytes, DEFAULT_SEGMENT_MAX_BYTES, 'segmentMaxBytes');
    const maxAgeMs = positive(o.segmentMaxAgeMs, DEFAULT_SEGMENT_MAX_AGE_MS, 'segmentMaxAgeMs');
    const signer = new AuditSigner(o);
    return {
      signer,
      trailId,
      base,
      checkpointFile: o.checkpointFile ?? `${base}.checkpoints.jsonl`,
      every,
      intervalMs,
      maxBytes,
      maxAgeMs,
      segment: 1,
      isSegmentCreated: false,
      segmentBytes: 0,
      segmentOpenedAt: 0,
      sinceCheckpoint: 0,
      lastCheckpoint: undefined,
      checkpointFd: undefined,
      timer: undefined,
    };
  }

  #segmentPath(segment: number): string {
    const signed = this.#signed as Signed;
    return `${signed.base}.${signed.trailId}.${String(segment).padStart(6, '0')}.jsonl`;
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

  /**
   * Closes the file and opens it again on the next event (after log rotation); the chain continues. A signed
   * trail starts its next segment instead (after a final `rotate` checkpoint of the current one).
   */
  reopen(): void {
    if (this.#signed !== undefined) this.#rotate();
    else if (this.#sink.type === 'file') this.#dropStream();
  }

  /**
   * Signs the head now (signed trails; no-op otherwise or when nothing changed since the last checkpoint), e.g.
   * before a planned shutdown that cannot await close().
   */
  checkpoint(): void {
    const signed = this.#signed;
    if (signed?.isSegmentCreated === true && signed.lastCheckpoint?.hash !== this.#hash) this.#checkpoint('time');
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
    const signed = this.#signed;
    if (signed !== undefined) {
      if (signed.isSegmentCreated) this.#checkpoint('close');
      clearInterval(signed.timer);
      if (signed.checkpointFd !== undefined) closeSync(signed.checkpointFd);
      signed.checkpointFd = undefined;
      signed.signer.close();
    }
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
    const signed = this.#signed;
    if (signed !== undefined) {
      signed.segmentBytes += canonical.length + 75;
      if (++signed.sinceCheckpoint >= signed.every) this.#checkpoint('count');
      if (signed.segmentBytes >= signed.maxBytes || this.#clock() - signed.segmentOpenedAt >= signed.maxAgeMs) this.#rotate();
    }
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
    if (this.#signed !== undefined) {
      return this.#openSegment(this.#signed);
    } else if (sink.type === 'file') {
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

  /** Signed trails: opens the current segment (creating it with its header, or continuing it after a failure). */
  #openSegment(signed: Signed): SinkStream {
    const sink = this.#sink as Extract<AuditSinkOptions, { type: 'file' }>;
    const path = this.#segmentPath(signed.segment);
    const mode = sink.mode ?? 0o640;
    let hasTornLine = false;
    if (!signed.isSegmentCreated) {
      mkdirSync(dirname(path), { recursive: true });
      closeSync(openSync(path, 'wx', mode)); // a segment is never continued by another trail or process
    } else hasTornLine = endsMidLine(path);
    const stream = pino.destination({ dest: path, sync: true, append: true, mode }) as SinkStream;
    stream.on?.('error', (error) => {
      if (this.#stream === stream) this.#streamError = error;
    });
    this.#stream = stream;
    this.#streamError = undefined;
    const prefix = hasTornLine ? '\n' : '';
    if (signed.isSegmentCreated) {
      const error = prefix === '' ? undefined : this.#write(stream, prefix);
      if (error !== undefined) {
        this.#dropStream();
        throw error;
      }
      return stream;
    }
    const now = this.#clock();
    const header = segmentHeader({ trail: signed.trailId, segment: signed.segment, seq: this.#seq, prev: this.#hash, prevSig: signed.lastCheckpoint?.sig ?? null, time: new Date(now).toISOString() });
    const error = this.#write(stream, `${header.line}\n`);
    if (error !== undefined) {
      this.#dropStream();
      throw error;
    }
    signed.isSegmentCreated = true;
    signed.segmentBytes = header.line.length + 1;
    signed.segmentOpenedAt = now;
    this.#hash = header.hash;
    if (signed.lastCheckpoint === undefined) this.#checkpoint('open');
    if (signed.timer === undefined) {
      signed.timer = setInterval(() => this.checkpoint(), signed.intervalMs);
      signed.timer.unref();
    }
    return stream;
  }

  /** Signed trails: ends the current segment with a `rotate` checkpoint; the next event starts the next one. */
  #rotate(): void {
    const signed = this.#signed as Signed;
    if (!signed.isSegmentCreated || this.#isClosed) return;
    this.#checkpoint('rotate');
    const stream = this.#stream;
    this.#stream = undefined;
    this.#streamError = undefined;
    try {
      stream?.end?.();
    } catch {
      // The segment is complete and signed; a failing close loses nothing.
    }
    signed.segment++;
    signed.isSegmentCreated = false;
  }

  /** Signs the head and appends the checkpoint to the checkpoint file and the operational log. Never throws. */
  #checkpoint(reason: AuditCheckpointReason): void {
    const signed = this.#signed as Signed;
    const body = checkpointBody({
      checkpoint: 1,
      trail: signed.trailId,
      segment: signed.segment,
      seq: this.#seq,
      hash: this.#hash,
      time: new Date(this.#clock()).toISOString(),
      reason,
      prevSig: signed.lastCheckpoint?.sig ?? null,
    });
    const sig = signed.signer.signHex(CHECKPOINT_DOMAIN + body);
    const line = checkpointLine(body, sig);
    signed.lastCheckpoint = { seq: this.#seq, hash: this.#hash, sig };
    signed.sinceCheckpoint = 0;
    const logger = this.#loggerOption?.info !== undefined ? this.#loggerOption : getLogger();
    logger.info?.({ audit: 'checkpoint', auditCheckpoint: line }, 'audit checkpoint');
    try {
      if (signed.checkpointFd === undefined) {
        mkdirSync(dirname(signed.checkpointFile), { recursive: true });
        signed.checkpointFd = openSync(signed.checkpointFile, 'a', 0o640);
      }
      writeSync(signed.checkpointFd, `${line}\n`);
    } catch (error) {
      this.#logger().error(
        { audit: 'checkpoint', file: signed.checkpointFile, code: (error as { code?: string }).code ?? 'error' },
        'An audit checkpoint could not be appended to the checkpoint file; it is in this log. Fix the checkpoint file.',
      );
      if (signed.checkpointFd !== undefined) closeSync(signed.checkpointFd);
      signed.checkpointFd = undefined;
    }
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
