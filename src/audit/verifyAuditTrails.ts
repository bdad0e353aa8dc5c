import { createReadStream, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AUDIT_GENESIS_HASH } from './AuditEvent';
import { CHECKPOINT_DOMAIN, checkpointBody, parseCheckpoint, parseSegmentHeader, type AuditCheckpoint, type AuditCheckpointReason } from './auditCheckpoint';
import { verifyAuditSignature } from './AuditSigner';
import { ChainVerifier, feedChain, type AuditLogProblem } from './verifyAuditLog';

/**
 * The kind of the first break of a trail:
 * - the chain problems of verifyAuditLog (`edited`, `missing`, `reordered`, `truncated`, `malformed`,
 *   `noncanonical`); `missing` also when a checkpoint signed events the segment no longer holds (cut);
 * - `checkpoint-mismatch`: the event at a signed `seq` has another hash (rewritten, even with recomputed hashes);
 * - `checkpoint-signature`: a checkpoint's signature is not valid under the public key(s) (forged or edited);
 * - `checkpoint-chain`: the checkpoints do not form one chain (a fork, a gap, a first one that is not `open`);
 * - `checkpoint-replayed`: a checkpoint source repeats a checkpoint or lists them out of order;
 * - `segment-missing`: a segment between the first and the last is absent (or a trail's files are all gone);
 * - `segment-misplaced`: a file named for one trail or segment holds another (files swapped or renamed);
 * - `segment-link`: a segment header does not follow its predecessor's final checkpoint;
 * - `emptied`: a segment file is empty;
 * - `appended`: events after the trail's `close` checkpoint;
 * - `unsigned`: a trail (or a file without a segment header) no checkpoint vouches for.
 */
export type AuditTrailBreakKind =
  | AuditLogProblem
  | 'checkpoint-mismatch'
  | 'checkpoint-signature'
  | 'checkpoint-chain'
  | 'checkpoint-replayed'
  | 'segment-missing'
  | 'segment-misplaced'
  | 'segment-link'
  | 'emptied'
  | 'appended'
  | 'unsigned';

/** The first break of a trail. `file`, `line` and `seq` are null when they do not apply. */
export interface AuditTrailBreak {
  kind: AuditTrailBreakKind;
  file: string | null;
  line: number | null;
  seq: number | null;
  detail: string;
}

/** What the verifier found for one trail (one process). */
export interface AuditTrailReport {
  trail: string;
  /** Segment files read. */
  segments: number;
  /** Events verified (up to the first break). */
  events: number;
  firstTime: string | null;
  lastTime: string | null;
  /** The last verified event (or segment header). */
  head: { segment: number; seq: number; hash: string } | null;
  lastCheckpoint: { segment: number; seq: number; time: string; reason: AuditCheckpointReason } | null;
  /** The trail ended with a `close` checkpoint and nothing follows it. */
  closed: boolean;
  /** Events after the last checkpoint: no signature covers them (the window). */
  unanchored: number;
  /** The last line was cut short (a crash mid-write): verified up to `head`. */
  torn: boolean;
  break: AuditTrailBreak | null;
}

/** The verdict over every trail found. */
export interface VerifyAuditTrailsResult {
  /** Every trail verified without a break (and signed, when public keys were given). */
  ok: boolean;
  /** Checkpoint signatures were checked (public keys given). */
  signed: boolean;
  trails: AuditTrailReport[];
  /** Files read as checkpoint sources (checkpoint files, operational logs). */
  checkpointSources: string[];
  /** Lines of checkpoint sources that are not valid checkpoints (a break too). */
  problems: { file: string; line: number; detail: string }[];
}

/** Options of {@link verifyAuditTrails}. */
export interface VerifyAuditTrailsOptions {
  /** Ed25519 public keys (32 bytes); without any, only the hash chains are checked (no guarantee against a log writer). */
  publicKeys?: readonly Uint8Array[];
  /** More checkpoint sources: checkpoint files, operational (pino) logs carrying `auditCheckpoint`. */
  checkpoints?: readonly string[];
}

const SEGMENT_NAME = /^.+\.([A-Za-z0-9_-]{1,64})\.(\d{6,})\.jsonl$/;

interface SegmentFile {
  path: string;
  trail: string;
  segment: number;
  /** From the file name, when it follows the pattern. */
  named: { trail: string; segment: number } | undefined;
  isEmpty: boolean;
}

/** Reads a file line by line (streamed); `last` is true for a final piece without a newline. */
async function eachLine(path: string, fn: (line: string, index: number, last: boolean) => boolean | void): Promise<void> {
  let rest = '';
  let index = 0;
  const stream = createReadStream(path, { encoding: 'utf8', highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<string>) {
      const lines = (rest + chunk).split('\n');
      rest = lines.pop() as string;
      for (const line of lines) if (fn(line, index++, false) === false) return;
    }
  } finally {
    stream.destroy();
  }
  if (rest !== '') fn(rest, index, true);
}

async function firstLine(path: string): Promise<string> {
  let first = '';
  await eachLine(path, (line) => {
    first = line;
    return false;
  });
  return first;
}

function expand(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    if (statSync(p).isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        const full = join(p, name);
        if (statSync(full).isFile()) files.push(full);
      }
    } else files.push(p);
  }
  return [...new Set(files)];
}

/**
 * Verifies signed audit trails: every segment of every trail found in `paths` (files or directories), against the
 * checkpoints found there and in `options.checkpoints`, whose signatures are checked with `options.publicKeys`.
 * Reports per trail the events, first and last time, last checkpoint, the window (events after it) and the first
 * break with its kind. Files are recognised by content: segment files (a segment header first), checkpoint files,
 * operational logs with `auditCheckpoint` lines, and unsigned logs (events from the first line).
 *
 * @example
 * ```ts
 * const r = await verifyAuditTrails(['/var/log/app/audit'], { publicKeys: [readAuditPublicKey('signing.pub')], checkpoints: ['ops.log'] });
 * for (const trail of r.trails) if (trail.break) logger.error({ trail: trail.trail, kind: trail.break.kind, detail: trail.break.detail }, 'audit trail broken');
 * ```
 */
export async function verifyAuditTrails(paths: readonly string[], options: VerifyAuditTrailsOptions = {}): Promise<VerifyAuditTrailsResult> {
  const publicKeys = options.publicKeys ?? [];
  const isSigned = publicKeys.length > 0;
  const segments: SegmentFile[] = [];
  const unsignedFiles: string[] = [];
  const sources: string[] = [];
  for (const path of expand(paths)) {
    const m = SEGMENT_NAME.exec(basename(path));
    const named = m === null ? undefined : { trail: m[1] as string, segment: Number(m[2]) };
    const first = await firstLine(path);
    const header = first.startsWith('{"v":1,"segmentStart":') ? parseSegmentHeader(first) : undefined;
    if (header !== undefined) {
      segments.push({ path, trail: header.segmentStart.trail, segment: header.segmentStart.segment, named, isEmpty: false });
    } else if (named !== undefined) {
      segments.push({ path, trail: named.trail, segment: named.segment, named, isEmpty: first === '' && statSync(path).size === 0 });
    } else if (first.startsWith('{"checkpoint":')) sources.push(path);
    else if (first.startsWith('{"v":1,"seq":')) unsignedFiles.push(path);
    else if (first !== '') sources.push(path);
  }
  for (const path of expand(options.checkpoints ?? [])) if (!sources.includes(path)) sources.push(path);

  // Checkpoints per trail, in the order of each source.
  const problems: VerifyAuditTrailsResult['problems'] = [];
  const bySource = new Map<string, Map<string, AuditCheckpoint[]>>();
  for (const source of sources) {
    const perTrail = new Map<string, AuditCheckpoint[]>();
    bySource.set(source, perTrail);
    await eachLine(source, (line, index) => {
      let text: string | undefined = line;
      if (!line.startsWith('{"checkpoint":')) {
        if (!line.includes('"auditCheckpoint"')) return;
        try {
          const entry = JSON.parse(line) as { auditCheckpoint?: unknown };
          text = typeof entry.auditCheckpoint === 'string' ? entry.auditCheckpoint : undefined;
        } catch {
          text = undefined;
        }
      }
      const cp = text === undefined ? undefined : parseCheckpoint(text);
      if (cp === undefined) {
        if (line !== '') problems.push({ file: source, line: index + 1, detail: 'not a well-formed, canonical checkpoint' });
        return;
      }
      const list = perTrail.get(cp.trail) ?? [];
      list.push(cp);
      perTrail.set(cp.trail, list);
    });
  }

  const trailIds = new Set<string>(segments.map((s) => s.trail));
  for (const perTrail of bySource.values()) for (const id of perTrail.keys()) trailIds.add(id);
  const trails: AuditTrailReport[] = [];
  for (const id of [...trailIds].sort()) {
    const sourceLists = [...bySource.entries()].map(([source, perTrail]) => ({ source, list: perTrail.get(id) ?? [] }));
    trails.push(await verifyTrail(id, segments.filter((s) => s.trail === id || s.named?.trail === id), sourceLists, publicKeys, isSigned));
  }
  for (const path of unsignedFiles) trails.push(await verifyUnsignedFile(path, isSigned));
  return { ok: problems.length === 0 && trails.every((t) => t.break === null), signed: isSigned, trails, checkpointSources: sources, problems };
}

function emptyReport(trail: string): AuditTrailReport {
  return { trail, segments: 0, events: 0, firstTime: null, lastTime: null, head: null, lastCheckpoint: null, closed: false, unanchored: 0, torn: false, break: null };
}

async function verifyUnsignedFile(path: string, isSigned: boolean): Promise<AuditTrailReport> {
  const report = emptyReport(basename(path));
  const v = new ChainVerifier({});
  await feedChain(v, path);
  const r = v.finish();
  report.segments = 1;
  report.events = v.count;
  report.firstTime = v.firstTime ?? null;
  report.lastTime = v.lastTime ?? null;
  report.head = v.head === null ? null : { segment: 1, ...v.head };
  report.unanchored = v.count;
  if (!r.ok) report.break = { kind: r.problem as AuditTrailBreakKind, file: path, line: r.line, seq: r.seq, detail: r.detail };
  else if (isSigned) report.break = { kind: 'unsigned', file: path, line: 1, seq: null, detail: 'the file has no segment header and no checkpoint: it comes from an unsigned trail, or was forged' };
  return report;
}

/** Orders a trail's checkpoints into their chain; the first problem found, if any. */
function checkpointChain(sourceLists: { source: string; list: AuditCheckpoint[] }[], publicKeys: readonly Uint8Array[], isSigned: boolean): { chain: AuditCheckpoint[]; problem: AuditTrailBreak | undefined } {
  const bySig = new Map<string, AuditCheckpoint>();
  let problem: AuditTrailBreak | undefined;
  const fail = (kind: AuditTrailBreakKind, file: string | null, detail: string, seq: number | null = null): void => {
    problem ??= { kind, file, line: null, seq, detail };
  };
  for (const { source, list } of sourceLists) {
    for (const cp of list) {
      if (bySig.has(cp.sig)) continue;
      if (isSigned && !verifyAuditSignature(CHECKPOINT_DOMAIN + checkpointBody(cp), cp.sig, publicKeys)) {
        fail('checkpoint-signature', source, `the checkpoint at seq ${cp.seq} is not signed by the given public key (forged or edited)`, cp.seq);
        continue;
      }
      bySig.set(cp.sig, cp);
    }
  }
  if (!isSigned) return { chain: [], problem };
  const next = new Map<string | null, AuditCheckpoint>();
  for (const cp of bySig.values()) {
    if (next.has(cp.prevSig)) fail('checkpoint-chain', null, `two checkpoints follow the same one (a fork at seq ${cp.seq})`, cp.seq);
    next.set(cp.prevSig, cp);
  }
  const chain: AuditCheckpoint[] = [];
  const position = new Map<string, number>();
  for (let cp = next.get(null); cp !== undefined && !position.has(cp.sig); cp = next.get(cp.sig)) {
    const before = chain[chain.length - 1];
    if (before === undefined && (cp.reason !== 'open' || cp.segment !== 1 || cp.seq !== 0)) fail('checkpoint-chain', null, 'the first checkpoint is not the trail\'s opening one');
    if (before !== undefined) {
      const isNextSegment = cp.segment === before.segment + 1 && before.reason === 'rotate';
      if (before.reason === 'close' || cp.reason === 'open' || cp.seq < before.seq || cp.time < before.time || (cp.segment !== before.segment && !isNextSegment)) {
        fail('checkpoint-chain', null, `checkpoint at seq ${cp.seq} does not follow its predecessor (seq ${before.seq}, ${before.reason})`, cp.seq);
      }
    }
    position.set(cp.sig, chain.length);
    chain.push(cp);
  }
  if (chain.length !== bySig.size) fail('checkpoint-chain', null, `${bySig.size - chain.length} checkpoint(s) are not linked to the trail's first checkpoint (a checkpoint between them is gone from every source)`);
  for (const { source, list } of sourceLists) {
    let last = -1;
    for (const cp of list) {
      const at = position.get(cp.sig);
      if (at === undefined) continue;
      if (at <= last) fail('checkpoint-replayed', source, `the checkpoint at seq ${cp.seq} appears again or out of order`, cp.seq);
      last = Math.max(last, at);
    }
  }
  return { chain, problem };
}

async function verifyTrail(id: string, files: SegmentFile[], sourceLists: { source: string; list: AuditCheckpoint[] }[], publicKeys: readonly Uint8Array[], isSigned: boolean): Promise<AuditTrailReport> {
  const report = emptyReport(id);
  const { chain, problem } = checkpointChain(sourceLists, publicKeys, isSigned);
  const fail = (b: AuditTrailBreak): AuditTrailReport => {
    report.break ??= b;
    return report;
  };
  const last = chain[chain.length - 1];
  if (last !== undefined) report.lastCheckpoint = { segment: last.segment, seq: last.seq, time: last.time, reason: last.reason };
  if (problem !== undefined) fail(problem);
  for (const f of files) {
    if (f.named !== undefined && (f.named.trail !== f.trail || f.named.segment !== f.segment)) {
      fail({ kind: 'segment-misplaced', file: f.path, line: 1, seq: null, detail: `the file is named for trail ${f.named.trail} segment ${f.named.segment} but holds trail ${f.trail} segment ${f.segment}` });
    }
  }
  const own = files.filter((f) => f.trail === id);
  const bySegment = new Map<number, SegmentFile>();
  for (const f of own) {
    if (bySegment.has(f.segment)) fail({ kind: 'segment-misplaced', file: f.path, line: 1, seq: null, detail: `two files hold segment ${f.segment}` });
    bySegment.set(f.segment, f);
  }
  const lastSegment = Math.max(0, ...own.map((f) => f.segment), ...chain.map((c) => c.segment));
  if (isSigned && chain.length === 0) fail({ kind: 'unsigned', file: own[0]?.path ?? null, line: null, seq: null, detail: 'no checkpoint of this trail was found: give the checkpoint file or operational log, or the files were forged' });
  let head = { seq: 0, hash: AUDIT_GENESIS_HASH };
  let cpIndex = 0;
  for (let n = 1; n <= lastSegment && report.break === null; n++) {
    const file = bySegment.get(n);
    if (file === undefined) return fail({ kind: 'segment-missing', file: null, line: null, seq: head.seq + 1, detail: `segment ${n} of the trail is missing (deleted or renamed)` });
    if (file.isEmpty) return fail({ kind: 'emptied', file: file.path, line: 1, seq: head.seq + 1, detail: `segment ${n} is empty` });
    report.segments++;
    const previous = chain[cpIndex - 1];
    const v = new ChainVerifier({
      start: head,
      header: 'require',
      onLink: (seq, hash) => {
        while (isSigned && cpIndex < chain.length) {
          const cp = chain[cpIndex] as AuditCheckpoint;
          if (cp.segment !== n || cp.seq !== seq) break;
          if (cp.hash !== hash) return ['checkpoint-mismatch', `the event at seq ${seq} is not the one signed by the checkpoint of ${cp.time} (rewritten)`];
          cpIndex++;
        }
        return undefined;
      },
    });
    await feedChain(v, file.path);
    const r = v.finish();
    report.events += v.count;
    report.firstTime ??= v.firstTime ?? null;
    report.lastTime = v.lastTime ?? report.lastTime;
    const h = v.head ?? (v.header === undefined ? undefined : { seq: v.header.segmentStart.seq, hash: v.header.hash });
    if (h !== undefined) {
      head = h;
      report.head = { segment: n, ...h };
    }
    const header = v.header?.segmentStart;
    if (header !== undefined && isSigned) {
      const expected = n === 1 ? null : previous?.segment === n - 1 && previous.reason === 'rotate' ? previous.sig : undefined;
      if (header.prevSig !== expected && !(n === 1 && header.prevSig === null)) {
        fail({ kind: 'segment-link', file: file.path, line: 1, seq: header.seq, detail: `segment ${n} does not start from the final checkpoint of segment ${n - 1}` });
      }
    }
    const pending = chain[cpIndex];
    const isCut = pending !== undefined && pending.segment === n;
    if (!r.ok) {
      const isTornTail = r.problem === 'truncated' && n === lastSegment && !isCut;
      if (isTornTail) report.torn = true;
      else return fail({ kind: r.problem as AuditTrailBreakKind, file: file.path, line: r.line, seq: r.seq, detail: r.detail });
    }
    if (isCut && report.break === null) {
      return fail({ kind: 'missing', file: file.path, line: null, seq: head.seq + 1, detail: `events up to seq ${pending.seq} were signed (checkpoint of ${pending.time}) but the segment ends at seq ${head.seq}: events were cut` });
    }
  }
  if (report.break !== null) return report;
  if (lastSegment === 0) return fail({ kind: 'segment-missing', file: null, line: null, seq: null, detail: 'checkpoints name this trail but none of its segment files was found (deleted)' });
  if (last !== undefined) {
    const after = head.seq - last.seq;
    if (last.reason === 'close' && (after > 0 || lastSegment > last.segment)) {
      return fail({ kind: 'appended', file: bySegment.get(lastSegment)?.path ?? null, line: null, seq: last.seq + 1, detail: `${after} event(s) after the trail's closing checkpoint (appended)` });
    }
    report.unanchored = Math.max(0, after);
    report.closed = last.reason === 'close' && !report.torn;
  } else report.unanchored = head.seq;
  return report;
}
