import { createReadStream } from 'node:fs';
import { AUDIT_GENESIS_HASH, AUDIT_SCHEMA_VERSION, type AuditEvent } from './AuditEvent';
import { parseSegmentHeader, type AuditSegmentHeader } from './auditCheckpoint';
import { canonicalAuditJson } from './canonicalAuditJson';
import { sha256Hex } from './sha256Hex';

/**
 * What is wrong at the first break:
 * - `edited`: the event's content does not match its hash, it has fields outside the schema (or lacks some), or
 *   its `prev` is not the hash of the event before it (that one was changed, or this one replaced);
 * - `missing`: events are gone (the next `seq` is larger than expected and the expected one never comes);
 * - `reordered`: events are out of order (an expected `seq` comes later, or an earlier one comes again);
 * - `truncated`: the last line is cut short;
 * - `malformed`: a line that is not an audit event at all (not JSON, no `seq`/`hash`, an empty line);
 * - `noncanonical`: the line parses to a valid event but is not byte for byte the line the trail writes (a
 *   duplicated key, whitespace, another key order or number form): a second reading of it could differ.
 */
export type AuditLogProblem = 'edited' | 'missing' | 'reordered' | 'truncated' | 'malformed' | 'noncanonical';

/** The verdict: the chain is whole, or where it first breaks. */
export type VerifyAuditLogResult =
  | { ok: true; count: number; head: { seq: number; hash: string } | null }
  | {
      ok: false;
      /** 0-based position of the offending line among all lines. */
      index: number;
      /** 1-based line number (index + 1). */
      line: number;
      /** The `seq` the chain expected at that line. */
      seq: number;
      problem: AuditLogProblem;
      /** One sentence for people; never a field value other than seq numbers. */
      detail: string;
    };

/** Options of {@link verifyAuditLog}. */
export interface VerifyAuditLogOptions {
  /**
   * Where the log starts. Default: a whole trail (first `seq` 1, `prev` the genesis hash). For a rotated segment,
   * the `head` of the previous segment (or AuditTrail.head() when it was rotated), or `'any'` to trust the first
   * event's `seq` and `prev` (then cutting events off the front goes unnoticed).
   */
  start?: { seq: number; hash: string } | 'any';
}

/** @internal The failure of a chain check. `problem` may be a kind of the signed-trail verifier. */
export type ChainFailure = Omit<Extract<VerifyAuditLogResult, { ok: false }>, 'problem'> & { problem: string };
type Failure = ChainFailure;

/** @internal Options of the chain check used by verifyAuditTrails. */
export interface ChainVerifierOptions extends VerifyAuditLogOptions {
  /** A segment header as first line: `allow` (verifyAuditLog), `require` (a signed trail's segment). */
  header?: 'allow' | 'require';
  /** Called for the header and for each event that extends the chain; a returned [problem, detail] is a break. */
  onLink?: (seq: number, hash: string) => [string, string] | undefined;
}

const HASH = /^[0-9a-f]{64}$/;
const FIELDS = ['v', 'seq', 'time', 'requestId', 'actor', 'tenant', 'action', 'secret', 'version', 'outcome', 'reason', 'provider', 'durationMs', 'cache', 'crossTenant', 'prev', 'hash'];
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);

const ORDER = 'its fields are not in schema order';
const isNullableString = (v: unknown): boolean => v === null || typeof v === 'string';

/** The first schema violation of a parsed event, or undefined. */
function schemaProblem(e: Record<string, unknown>): string | undefined {
  const keys = Object.keys(e);
  for (const key of keys) if (!FIELD_SET.has(key)) return `it has a field outside the schema (${JSON.stringify(key.slice(0, 40))})`;
  for (const key of FIELDS) if (!(key in e)) return `it lacks the field ${key}`;
  for (let i = 0; i < FIELDS.length; i++) if (keys[i] !== FIELDS[i]) return ORDER;
  const actor = e.actor as { id?: unknown; roles?: unknown } | null;
  if (e.v !== AUDIT_SCHEMA_VERSION) return `its schema version is not ${AUDIT_SCHEMA_VERSION}`;
  if (typeof e.time !== 'string' || typeof e.action !== 'string' || typeof e.outcome !== 'string' || typeof e.cache !== 'string') return 'a text field has the wrong type';
  if (![e.requestId, e.tenant, e.secret, e.version, e.reason, e.provider].every(isNullableString)) return 'a text field has the wrong type';
  if (typeof actor !== 'object' || actor === null || Array.isArray(actor) || Object.keys(actor).join() !== 'id,roles' || !isNullableString(actor.id)) return 'its actor is not { id, roles }';
  if (!Array.isArray(actor.roles) || !actor.roles.every((r) => typeof r === 'string')) return 'its actor roles are not a list of strings';
  if (!(e.durationMs === null || typeof e.durationMs === 'number')) return 'durationMs has the wrong type';
  if (typeof e.crossTenant !== 'boolean') return 'crossTenant is not a boolean';
  if (typeof e.prev !== 'string' || !HASH.test(e.prev)) return 'prev is not a SHA-256 hex digest';
  return undefined;
}

/** @internal The chain check as a state machine fed line by line, so files are verified in constant memory. */
export class ChainVerifier {
  #expectedSeq: number;
  #expectedPrev: string | undefined;
  #index = -1;
  #count = 0;
  #head: { seq: number; hash: string } | null = null;
  /** A larger seq than expected was seen: look ahead for the expected one to tell `reordered` from `missing`. */
  #searching: { failure: Failure; target: number } | undefined;
  readonly #options: ChainVerifierOptions;
  result: Failure | undefined;
  /** The segment header, when the first line was one. */
  header: AuditSegmentHeader | undefined;
  firstTime: string | undefined;
  lastTime: string | undefined;

  constructor(options: ChainVerifierOptions) {
    this.#options = options;
    const start = options.start ?? { seq: 0, hash: AUDIT_GENESIS_HASH };
    this.#expectedSeq = start === 'any' ? Number.NaN : start.seq + 1;
    this.#expectedPrev = start === 'any' ? undefined : start.hash;
  }

  get count(): number {
    return this.#count;
  }

  get head(): { seq: number; hash: string } | null {
    return this.#head;
  }

  /** Feeds one line. `mayBeTorn`: the last line, without a final newline (or the last element of an array). */
  push(text: string, mayBeTorn: boolean): void {
    this.#index++;
    if (this.result !== undefined) return;
    if (this.#index === 0 && this.#options.header !== undefined) {
      if (this.#pushHeader(text)) return;
    }
    let parsed: unknown;
    let isJson = true;
    try {
      parsed = JSON.parse(text);
    } catch {
      isJson = false;
    }
    const e = isJson && typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    const seq = e?.seq;
    const isEvent = e !== undefined && Number.isSafeInteger(seq) && (seq as number) >= 1 && typeof e.hash === 'string' && HASH.test(e.hash);

    if (this.#searching !== undefined) {
      if (isEvent && seq === this.#searching.target) {
        this.result = { ...this.#searching.failure, problem: 'reordered', detail: `seq ${this.#searching.target} comes later, at line ${this.#index + 1}` };
      }
      return;
    }
    if (!isJson) {
      const isTorn = mayBeTorn && text.trim() !== '';
      return this.#fail(isTorn ? 'truncated' : 'malformed', isTorn ? 'the last line is cut short' : text === '' ? 'an empty line' : 'the line is not JSON');
    }
    if (!isEvent || e === undefined) return this.#fail('malformed', 'the line is not an audit event (no seq or hash)');
    const problem = schemaProblem(e);
    if (problem !== undefined) return this.#fail(problem === ORDER ? 'noncanonical' : 'edited', `the event does not match the schema: ${problem}`);
    const event = e as unknown as AuditEvent;
    // Canonical: the line is exactly what stringifying its parse gives, with the schema's key order (checked by
    // schemaProblem), so the hashed text is the line without its `hash` member. A duplicated key, whitespace or
    // another number form makes the two differ.
    const isCanonical = JSON.stringify(e) === text;
    const hashed = isCanonical ? `${text.slice(0, -75)}}` : canonicalAuditJson(event);
    if (sha256Hex(hashed) !== event.hash) return this.#fail('edited', 'the event does not match its hash');
    if (!isCanonical) {
      return this.#fail('noncanonical', 'the line is not in canonical form (a duplicated key, whitespace, key order or number form differs from what the trail writes)');
    }
    if (Number.isNaN(this.#expectedSeq)) {
      this.#expectedSeq = event.seq;
      this.#expectedPrev = event.prev;
    }
    if (event.seq > this.#expectedSeq) {
      this.#searching = { failure: this.#failure('missing', `expected seq ${this.#expectedSeq}, found ${event.seq}`), target: this.#expectedSeq };
      return;
    }
    if (event.seq < this.#expectedSeq) return this.#fail('reordered', `seq ${event.seq} comes after seq ${this.#expectedSeq - 1}`);
    if (event.prev !== this.#expectedPrev) return this.#fail('edited', 'prev is not the hash of the event before it');
    const link = this.#options.onLink?.(event.seq, event.hash);
    if (link !== undefined) return this.#fail(link[0], link[1]);
    this.#count++;
    this.#head = { seq: event.seq, hash: event.hash };
    this.#expectedSeq = event.seq + 1;
    this.#expectedPrev = event.hash;
    this.firstTime ??= event.time;
    this.lastTime = event.time;
  }

  /** The first line as a segment header: true when it was one (or when it had to be and was not: a break). */
  #pushHeader(text: string): boolean {
    const header = text.startsWith('{"v":1,"segmentStart":') ? parseSegmentHeader(text) : undefined;
    if (header === undefined) {
      if (this.#options.header === 'allow' && !text.includes('"segmentStart"')) return false;
      this.#fail('malformed', 'the segment header is missing, edited or not canonical');
      return true;
    }
    const s = header.segmentStart;
    if (Number.isNaN(this.#expectedSeq)) {
      this.#expectedSeq = s.seq + 1;
    } else if (s.seq + 1 !== this.#expectedSeq || s.prev !== this.#expectedPrev) {
      this.#fail('edited', `the segment header does not continue the chain (expected seq ${this.#expectedSeq - 1} and the hash of that event)`);
      return true;
    }
    const link = this.#options.onLink?.(s.seq, header.hash);
    if (link !== undefined) {
      this.#fail(link[0], link[1]);
      return true;
    }
    this.header = header;
    this.#expectedPrev = header.hash;
    return true;
  }

  finish(): { ok: true; count: number; head: { seq: number; hash: string } | null } | Failure {
    if (this.result === undefined && this.#searching !== undefined) this.result = this.#searching.failure;
    return this.result ?? { ok: true, count: this.#count, head: this.#head };
  }

  #failure(problem: string, detail: string): Failure {
    return { ok: false, index: this.#index, line: this.#index + 1, seq: Number.isNaN(this.#expectedSeq) ? 1 : this.#expectedSeq, problem, detail };
  }

  #fail(problem: string, detail: string): void {
    this.result = this.#failure(problem, detail);
  }
}

/**
 * Verifies a hash-chained audit log and reports the FIRST break: an edited, missing, reordered, truncated or
 * malformed event, with its line. `source` is a file path (read as a stream, constant memory) or the lines
 * themselves. Each event's hash is recomputed from its canonical JSON and each `prev` checked against the event
 * before. Events cut off the end leave no trace in the chain: compare `head` with an anchor published elsewhere
 * (AuditTrail.head()).
 *
 * @example
 * ```ts
 * const r = await verifyAuditLog('/var/log/app/audit.jsonl');
 * if (!r.ok) log.error({ line: r.line, problem: r.problem }, r.detail);
 * ```
 */
export async function verifyAuditLog(source: string | readonly string[], options: VerifyAuditLogOptions = {}): Promise<VerifyAuditLogResult> {
  const verifier = new ChainVerifier({ ...options, header: 'allow' });
  await feedChain(verifier, source);
  const result = verifier.finish();
  return result as VerifyAuditLogResult;
}

/** @internal Feeds a file (streamed) or lines to a chain verifier, stopping at the first break. */
export async function feedChain(verifier: ChainVerifier, source: string | readonly string[]): Promise<void> {
  if (typeof source !== 'string') {
    let end = source.length;
    while (end > 0 && source[end - 1] === '') end--;
    for (let i = 0; i < end && verifier.result === undefined; i++) verifier.push(source[i] as string, i === end - 1);
    return;
  }
  let rest = '';
  const stream = createReadStream(source, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() as string;
      for (const line of lines) verifier.push(line, false);
      if (verifier.result !== undefined) break;
    }
  } finally {
    stream.destroy();
  }
  if (verifier.result === undefined && rest !== '') verifier.push(rest, true);
}
