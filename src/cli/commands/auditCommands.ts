import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { auditReference } from '../../audit/auditReference';
import { generateAuditKeyPair, readAuditPublicKey } from '../../audit/AuditSigner';
import { verifyAuditLog } from '../../audit/verifyAuditLog';
import { verifyAuditTrails, type AuditTrailReport } from '../../audit/verifyAuditTrails';
import { ConfigError } from '../../errors/ConfigError';
import type { Out } from '../output';

/** Options of `vc-secrets audit verify`. */
export interface AuditVerifyFlags {
  publicKey?: string[];
  checkpoints?: string[];
}

const short = (hash: string): string => `${hash.slice(0, 16)}…`;

function describeTrail(out: Out, r: AuditTrailReport): void {
  const span = r.firstTime === null ? 'no events' : `${r.firstTime} .. ${r.lastTime ?? ''}`;
  const head = r.head === null ? 'head none' : `head segment ${r.head.segment} seq ${r.head.seq} ${short(r.head.hash)}`;
  const cp = r.lastCheckpoint === null ? 'no checkpoint' : `last checkpoint seq ${r.lastCheckpoint.seq} (${r.lastCheckpoint.reason}) at ${r.lastCheckpoint.time}`;
  const b = r.break;
  if (b === null) {
    const state = r.closed ? 'closed' : `${r.unanchored} event(s) after the last checkpoint (not covered by a signature)${r.torn ? '; the last line is cut short (crash?): verified up to the head' : ''}`;
    out.line(`${out.ok('ok')} trail ${r.trail}: ${r.events} event(s) in ${r.segments} segment(s), ${span}; ${head}; ${cp}; ${state}`);
  } else {
    const where = b.file === null ? '' : ` in ${b.file}${b.line === null ? '' : ` line ${b.line}`}`;
    out.error(`${out.bad(b.kind)} trail ${r.trail}${where}${b.seq === null ? '' : ` (seq ${b.seq})`}: ${b.detail}. Verified before it: ${r.events} event(s), ${span}; ${head}; ${cp}`);
  }
}

/**
 * `vc-secrets audit verify <paths...> [--public-key K] [--checkpoints F]`: with a public key, verify every segment of
 * every trail in the files or directories against the signed checkpoints; without one, the hash chains only (one
 * file: the format of earlier versions). Exit 0 when everything verifies, 1 otherwise.
 */
export async function auditVerifyCommand(out: Out, paths: string[], flags: AuditVerifyFlags = {}): Promise<number> {
  const keys = (flags.publicKey ?? []).map((k) => readAuditPublicKey(k));
  const checkpoints = flags.checkpoints ?? [];
  if (keys.length === 0 && checkpoints.length === 0 && paths.length === 1 && statSync(paths[0] as string).isFile()) {
    const result = await verifyAuditLog(paths[0] as string);
    if (out.isJson) out.json(result);
    else if (result.ok) out.line(`${out.ok('ok')}: ${result.count} event(s), chain intact; head ${result.head === null ? 'none' : `seq ${result.head.seq} ${result.head.hash}`}`);
    else out.error(`${out.bad(result.problem)} at line ${result.line} (seq ${result.seq}): ${result.detail}`);
    if (!out.isJson) out.error(`${out.warn('warning')}: no --public-key: only the hash chain was checked; whoever can write the file can rewrite it undetected.`);
    return result.ok ? 0 : 1;
  }
  const result = await verifyAuditTrails(paths, { publicKeys: keys, checkpoints });
  if (out.isJson) out.json(result);
  else {
    for (const r of result.trails) describeTrail(out, r);
    for (const p of result.problems) out.error(`${out.bad('checkpoint-source')} ${p.file} line ${p.line}: ${p.detail}`);
    if (result.trails.length === 0) out.error(`${out.bad('empty')}: no audit trail found in ${paths.join(', ')}`);
    if (!result.signed) out.error(`${out.warn('warning')}: no --public-key: only the hash chains were checked; whoever can write the files can rewrite them undetected.`);
  }
  return result.ok && result.trails.length > 0 ? 0 : 1;
}

/** `vc-secrets audit keygen --out PREFIX`: a new Ed25519 key pair, PREFIX.key (0600) and PREFIX.pub. Never overwrites. */
export function auditKeygenCommand(out: Out, prefix: string): number {
  const pair = generateAuditKeyPair();
  const write = (path: string, text: string, mode: number): void => {
    let fd: number;
    try {
      fd = openSync(path, 'wx', mode);
    } catch (error) {
      throw new ConfigError(`Cannot create ${path} (${(error as { code?: string }).code ?? 'error'}); keygen never overwrites a key. Choose another --out.`);
    }
    try {
      writeSync(fd, `${text}\n`);
    } finally {
      closeSync(fd);
    }
  };
  write(`${prefix}.key`, pair.secretKey, 0o600);
  write(`${prefix}.pub`, pair.publicKey, 0o644);
  if (out.isJson) out.json({ publicKey: pair.publicKey, secretKeyFile: `${prefix}.key`, publicKeyFile: `${prefix}.pub` });
  else out.line(`${prefix}.key (secret: give it to the service only) and ${prefix}.pub (public: give it to verifiers): ${pair.publicKey}`);
  return 0;
}

/** `vc-secrets audit hmac <name> --key-file F`: the reference of a known name, to search the audit log. */
export function auditHmacCommand(out: Out, name: string, keyFile: string): number {
  const ref = auditReference(name, { keyFile });
  if (out.isJson) out.json({ reference: ref });
  else out.line(ref);
  return 0;
}
