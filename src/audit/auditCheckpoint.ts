import { sha256Hex } from './sha256Hex';

/** Why a checkpoint was signed. `open` starts a trail, `rotate` ends a segment, `close` ends the trail. */
export type AuditCheckpointReason = 'open' | 'count' | 'time' | 'rotate' | 'close';

/**
 * A signed checkpoint: one JSON line in the checkpoint file and in the operational log (`auditCheckpoint`). The
 * signature (Ed25519) covers {@link CHECKPOINT_DOMAIN} followed by the canonical JSON without `sig`, which binds the
 * trail id, the segment, the head (`seq`, `hash` of the last event, or of the segment header when the segment
 * has no event yet), the time, the reason and the previous checkpoint's signature (null for a trail's first).
 */
export interface AuditCheckpoint {
  checkpoint: 1;
  trail: string;
  segment: number;
  seq: number;
  hash: string;
  time: string;
  reason: AuditCheckpointReason;
  prevSig: string | null;
  sig: string;
}

/**
 * The first line of every segment file of a signed trail, chained like an event: its `hash` is the SHA-256 of its
 * canonical JSON without `hash`, and the segment's first event has it as `prev`. `seq` and `prev` are the head of
 * the trail before this segment (0 and the genesis hash for the first), `prevSig` the signature of the previous
 * segment's final (`rotate`) checkpoint.
 */
export interface AuditSegmentHeader {
  v: 1;
  segmentStart: { trail: string; segment: number; seq: number; prev: string; prevSig: string | null; time: string };
  hash: string;
}

/** Prefix of every signed checkpoint message, so a signature can never be taken for something else. */
export const CHECKPOINT_DOMAIN = 'vc-secrets/audit-checkpoint/v1\n';

/** Trail ids: letters, digits, `_` and `-` (no dots: file names are `<base>.<trail>.<segment>.jsonl`). */
export const TRAIL_ID = /^[A-Za-z0-9_-]{1,64}$/;
const REASONS: ReadonlySet<string> = new Set(['open', 'count', 'time', 'rotate', 'close']);
const HASH = /^[0-9a-f]{64}$/;
const SIG = /^[0-9a-f]{128}$/;
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const str = JSON.stringify;

/** The canonical JSON of a checkpoint without `sig` (what is signed, after the domain). */
export function checkpointBody(c: Omit<AuditCheckpoint, 'sig'>): string {
  return `{"checkpoint":1,"trail":${str(c.trail)},"segment":${c.segment},"seq":${c.seq},"hash":${str(c.hash)},"time":${str(c.time)},"reason":${str(c.reason)},"prevSig":${str(c.prevSig)}}`;
}

/** The checkpoint's line (without newline). */
export function checkpointLine(body: string, sig: string): string {
  return `${body.slice(0, -1)},"sig":"${sig}"}`;
}

/** The canonical JSON of a segment header without `hash`, and its line. */
export function segmentHeader(s: AuditSegmentHeader['segmentStart']): { hash: string; line: string } {
  const body = `{"v":1,"segmentStart":{"trail":${str(s.trail)},"segment":${s.segment},"seq":${s.seq},"prev":${str(s.prev)},"prevSig":${str(s.prevSig)},"time":${str(s.time)}}}`;
  const hash = sha256Hex(body);
  return { hash, line: `${body.slice(0, -1)},"hash":"${hash}"}` };
}

const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;

/**
 * Parses a checkpoint line; undefined unless it is exactly the canonical line of a well-formed checkpoint (no
 * duplicate or extra keys, no whitespace). The signature is not checked here.
 */
export function parseCheckpoint(text: string): AuditCheckpoint | undefined {
  let c: AuditCheckpoint;
  try {
    c = JSON.parse(text) as AuditCheckpoint;
  } catch {
    return undefined;
  }
  if (typeof c !== 'object' || c === null) return undefined;
  if (c.checkpoint !== 1 || typeof c.trail !== 'string' || !TRAIL_ID.test(c.trail) || !isCount(c.segment) || c.segment < 1 || !isCount(c.seq)) return undefined;
  if (typeof c.hash !== 'string' || !HASH.test(c.hash) || typeof c.time !== 'string' || !TIME.test(c.time) || !REASONS.has(c.reason)) return undefined;
  if (!(c.prevSig === null || (typeof c.prevSig === 'string' && SIG.test(c.prevSig))) || typeof c.sig !== 'string' || !SIG.test(c.sig)) return undefined;
  return checkpointLine(checkpointBody(c), c.sig) === text ? c : undefined;
}

/** Parses a segment header line; undefined unless it is exactly the canonical, correctly hashed header. */
export function parseSegmentHeader(text: string): AuditSegmentHeader | undefined {
  let h: AuditSegmentHeader;
  try {
    h = JSON.parse(text) as AuditSegmentHeader;
  } catch {
    return undefined;
  }
  const s = h?.segmentStart;
  if (typeof s !== 'object' || s === null || typeof s.trail !== 'string' || !TRAIL_ID.test(s.trail) || !isCount(s.segment) || s.segment < 1 || !isCount(s.seq)) return undefined;
  if (typeof s.prev !== 'string' || !HASH.test(s.prev) || !(s.prevSig === null || (typeof s.prevSig === 'string' && SIG.test(s.prevSig))) || typeof s.time !== 'string' || !TIME.test(s.time)) return undefined;
  const canonical = segmentHeader(s);
  return canonical.line === text ? h : undefined;
}
