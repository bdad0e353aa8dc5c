// Signed audit trails written by real SecretsService calls in several processes, then attacked the way someone
// who can write the log files (but lacks the signing key) would. Every attack must be a break for the API and
// for the CLI, given only the public key and the checkpoints (the checkpoint file and the shipped operational logs).
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { generateAuditKeyPair, readAuditPublicKey, verifyAuditTrails, type AuditEvent, type AuditTrailBreakKind, type VerifyAuditTrailsResult } from '../../src/audit';
import { checkpointBody, checkpointLine, CHECKPOINT_DOMAIN, parseCheckpoint, segmentHeader, type AuditSegmentHeader } from '../../src/audit/auditCheckpoint';
import { AuditSigner } from '../../src/audit/AuditSigner';
import { canonicalAuditJson } from '../../src/audit/canonicalAuditJson';
import { sha256Hex } from '../../src/audit/sha256Hex';
import { ROOT } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';
import { plant } from '../service/fixtures/serviceKit';

const CLI = join(ROOT, 'bin', 'vc-secrets.js');
const FIXTURE = join(__dirname, 'fixtures', 'signedServiceTrail.ts');
const root = tmpdir(t, 'signed-trail');
const pair = generateAuditKeyPair();
const keyFile = join(root, 'signing.key');
const pubFile = join(root, 'signing.pub');
writeFileSync(keyFile, pair.secretKey, { mode: 0o600 });
writeFileSync(pubFile, pair.publicKey);
const PLANT = plant();
const A = 'replica-a';
const B = 'replica-b';

/** Runs one replica to completion (or, with `kill`, until it has written `count` calls, then SIGKILLs it). */
function replica(dir: string, trail: string, count: number, mode: 'close' | 'kill' = 'close'): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, FIXTURE, dir, keyFile, trail, String(count), mode], { env: { ...process.env, SECRET_PLANT: PLANT }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (mode === 'kill' && out.includes('\n')) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => (mode === 'kill' ? signal === 'SIGKILL' : code === 0) ? resolve(out) : reject(new Error(`replica ${trail} exited with ${code ?? signal}`)));
  });
}

// Child processes and ~20 CLI runs: allow for a loaded CI machine (about 55 s at a load average of 20 on 2 cores).
t.setTimeout(300_000);
const clean = join(root, 'clean');
let attackCount = 0;
/** A fresh copy of the untouched set to attack. */
function copy(): string {
  const dir = join(root, `attack-${attackCount++}`);
  cpSync(clean, dir, { recursive: true });
  return dir;
}
const seg = (dir: string, trail: string, n: number): string => join(dir, 'audit', `audit.${trail}.${String(n).padStart(6, '0')}.jsonl`);
const segments = (dir: string, trail: string): string[] => readdirSync(join(dir, 'audit')).filter((f) => f.startsWith(`audit.${trail}.`)).sort().map((f) => join(dir, 'audit', f));
const linesOf = (file: string): string[] => readFileSync(file, 'utf8').split('\n').slice(0, -1);
const writeLines = (file: string, lines: string[]): void => writeFileSync(file, lines.map((l) => `${l}\n`).join(''));
const checkpointFile = (dir: string): string => join(dir, 'audit', 'audit.checkpoints.jsonl');

/** Recomputes every hash of a trail after an edit, as an attacker without the signing key can. */
function rechain(dir: string, trail: string): void {
  let prev = '0'.repeat(64);
  let seq = 0;
  for (const file of segments(dir, trail)) {
    const out = linesOf(file).map((line) => {
      if (line.includes('"segmentStart"')) {
        const h = JSON.parse(line) as AuditSegmentHeader;
        const next = segmentHeader({ ...h.segmentStart, seq, prev });
        prev = next.hash;
        return next.line;
      }
      const { hash: _old, ...e } = JSON.parse(line) as AuditEvent;
      e.prev = prev;
      const canonical = canonicalAuditJson(e);
      prev = sha256Hex(canonical);
      seq = e.seq;
      return `${canonical.slice(0, -1)},"hash":"${prev}"}`;
    });
    writeLines(file, out);
  }
}

const publicKeys = [readAuditPublicKey(pubFile)];
const verifyApi = (dir: string): Promise<VerifyAuditTrailsResult> => verifyAuditTrails([join(dir, 'audit')], { publicKeys, checkpoints: [join(dir, 'ops')] });
function verifyCli(dir: string, json = false): { code: number | null; stdout: string; stderr: string } {
  const args = [CLI, ...(json ? ['--json'] : []), 'audit', 'verify', join(dir, 'audit'), '--public-key', pubFile, '--checkpoints', join(dir, 'ops')];
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Asserts the API and the CLI (text, and JSON when asked) both report `kind` as the first break of `trail`. */
async function expectBreak(t: Test, dir: string, trail: string, kind: AuditTrailBreakKind, isJsonToo = false): Promise<void> {
  const api = await verifyApi(dir);
  t.equal(api.ok, false, 'the API reports a break');
  t.equal(api.trails.find((r) => r.trail === trail)?.break?.kind, kind, `the API names ${kind}`);
  const text = verifyCli(dir);
  t.equal(text.code, 1, 'the CLI exits 1');
  t.match(text.stderr, new RegExp(`${kind} trail ${trail}`), 'the CLI names the kind and the trail');
  if (!isJsonToo) return;
  const json = verifyCli(dir, true);
  t.equal(json.code, 1);
  const parsed = JSON.parse(json.stdout) as VerifyAuditTrailsResult;
  t.equal(parsed.trails.find((r) => r.trail === trail)?.break?.kind, kind, 'the CLI --json names it too');
}

t.before(async () => {
  await Promise.all([replica(clean, A, 60), replica(clean, B, 45)]);
});

t.test('the untouched set verifies, per trail, with the head and the last checkpoint', async (t) => {
  const api = await verifyApi(clean);
  t.equal(api.ok, true, JSON.stringify(api.trails.map((r) => r.break)));
  t.same(api.problems, []);
  t.match(api.trails, [
    { trail: A, events: 60, closed: true, unanchored: 0, torn: false, break: null, head: { seq: 60 }, lastCheckpoint: { seq: 60, reason: 'close' } },
    { trail: B, events: 45, closed: true, unanchored: 0, torn: false, break: null, head: { seq: 45 }, lastCheckpoint: { seq: 45, reason: 'close' } },
  ]);
  t.ok((api.trails[0]?.segments ?? 0) >= 3, 'the trail rotated into several segments');
  t.ok(api.trails.every((r) => r.firstTime !== null && r.lastTime !== null && r.firstTime <= r.lastTime));
  const text = verifyCli(clean);
  t.equal(text.code, 0, text.stderr);
  t.match(text.stdout, new RegExp(`ok trail ${A}: 60 event\\(s\\) in \\d+ segment\\(s\\), .*head segment \\d+ seq 60 [0-9a-f]{16}.*last checkpoint seq 60 \\(close\\).*closed`));
  t.match(text.stdout, new RegExp(`ok trail ${B}: 45 event\\(s\\)`));
  const json = JSON.parse(verifyCli(clean, true).stdout) as VerifyAuditTrailsResult;
  t.equal(json.ok, true);
  for (const dirName of ['audit', 'ops']) {
    for (const f of readdirSync(join(clean, dirName))) t.notOk(readFileSync(join(clean, dirName, f), 'utf8').includes(PLANT), `no value in ${f}`);
  }
  t.notOk(text.stdout.includes(PLANT) || text.stderr.includes(PLANT));
  const hashOnly = await verifyAuditTrails([join(clean, 'audit')]);
  t.equal(hashOnly.signed, false, 'without a public key only the chains are checked, and it says so');
  t.match(verifyCli(clean).stdout, /ok trail/);
  const noKey = spawnSync(process.execPath, [CLI, 'audit', 'verify', join(clean, 'audit')], { encoding: 'utf8' });
  t.match(noKey.stderr, /no --public-key/);
});

t.test('attacks by someone who can write the files', async (t) => {
  t.test('rewrite an event and recompute every hash after it', async (t) => {
    const dir = copy();
    const file = seg(dir, A, 1);
    const lines = linesOf(file);
    const i = lines.findIndex((l) => l.includes('"outcome":"denied"'));
    lines[i] = (lines[i] as string).replace('"outcome":"denied"', '"outcome":"allowed"');
    writeLines(file, lines);
    rechain(dir, A);
    await expectBreak(t, dir, A, 'checkpoint-mismatch', true);
  });

  t.test('delete the last events before the last checkpoint', async (t) => {
    const dir = copy();
    const files = segments(dir, A);
    const last = files[files.length - 1] as string;
    writeLines(last, linesOf(last).slice(0, -3));
    await expectBreak(t, dir, A, 'missing');
  });

  t.test('append a forged event with a valid hash', async (t) => {
    const dir = copy();
    const files = segments(dir, A);
    const last = files[files.length - 1] as string;
    const lines = linesOf(last);
    const { hash, ...e } = JSON.parse(lines[lines.length - 1] as string) as AuditEvent;
    const forged = canonicalAuditJson({ ...e, seq: e.seq + 1, outcome: 'allowed', requestId: 'forged', prev: hash });
    appendFileSync(last, `${forged.slice(0, -1)},"hash":"${sha256Hex(forged)}"}\n`);
    await expectBreak(t, dir, A, 'appended');
  });

  t.test('empty a file', async (t) => {
    const dir = copy();
    writeFileSync(seg(dir, A, 2), '');
    await expectBreak(t, dir, A, 'emptied');
  });

  t.test('delete the last segment file', async (t) => {
    const dir = copy();
    const files = segments(dir, A);
    rmSync(files[files.length - 1] as string);
    await expectBreak(t, dir, A, 'segment-missing');
  });

  t.test('delete every file of a trail', async (t) => {
    const dir = copy();
    for (const f of segments(dir, A)) rmSync(f);
    await expectBreak(t, dir, A, 'segment-missing');
  });

  t.test('reorder two events', async (t) => {
    const dir = copy();
    const file = seg(dir, A, 2);
    const lines = linesOf(file);
    [lines[3], lines[4]] = [lines[4] as string, lines[3] as string];
    writeLines(file, lines);
    await expectBreak(t, dir, A, 'reordered');
  });

  t.test('edit a field', async (t) => {
    const dir = copy();
    const file = seg(dir, A, 3);
    const lines = linesOf(file);
    lines[2] = (lines[2] as string).replace(/"requestId":"[^"]*"/, '"requestId":"someone-else"');
    writeLines(file, lines);
    await expectBreak(t, dir, A, 'edited');
  });

  t.test('duplicate a line', async (t) => {
    const dir = copy();
    const file = seg(dir, A, 1);
    const lines = linesOf(file);
    lines.splice(5, 0, lines[4] as string);
    writeLines(file, lines);
    await expectBreak(t, dir, A, 'reordered');
  });

  t.test('insert a duplicated JSON key before the real one', async (t) => {
    const dir = copy();
    const file = seg(dir, A, 1);
    const lines = linesOf(file);
    const i = lines.findIndex((l) => l.includes('"outcome":"denied"'));
    lines[i] = (lines[i] as string).replace('"outcome":"denied"', '"outcome":"allowed","outcome":"denied"');
    writeLines(file, lines);
    await expectBreak(t, dir, A, 'noncanonical', true);
  });

  t.test('drop a middle segment and renumber the rest', async (t) => {
    const dir = copy();
    const files = segments(dir, A);
    rmSync(seg(dir, A, 2));
    for (let n = 3; n <= files.length; n++) renameSync(seg(dir, A, n), seg(dir, A, n - 1));
    await expectBreak(t, dir, A, 'segment-misplaced');
  });

  t.test('drop a middle segment', async (t) => {
    const dir = copy();
    rmSync(seg(dir, A, 2));
    await expectBreak(t, dir, A, 'segment-missing');
  });

  t.test('swap segments between two replicas', async (t) => {
    const dir = copy();
    renameSync(seg(dir, A, 2), join(dir, 'swap'));
    renameSync(seg(dir, B, 2), seg(dir, A, 2));
    renameSync(join(dir, 'swap'), seg(dir, B, 2));
    await expectBreak(t, dir, A, 'segment-misplaced');
    await expectBreak(t, dir, B, 'segment-misplaced');
  });

  t.test('replay an old checkpoint', async (t) => {
    const dir = copy();
    const old = linesOf(checkpointFile(dir)).filter((l) => l.includes(`"trail":"${A}"`))[1] as string;
    appendFileSync(checkpointFile(dir), `${old}\n`);
    await expectBreak(t, dir, A, 'checkpoint-replayed');
  });

  t.test('roll the trail and its local checkpoints back to an old checkpoint (the shipped log still has the rest)', async (t) => {
    const dir = copy();
    const cps = linesOf(checkpointFile(dir));
    const keep = cps.filter((l) => !l.includes(`"trail":"${A}"`) || (parseCheckpoint(l)?.seq ?? 0) <= 20);
    writeLines(checkpointFile(dir), keep);
    const kept = parseCheckpoint(keep.filter((l) => l.includes(`"trail":"${A}"`)).pop() as string);
    for (const f of segments(dir, A)) {
      const lines = linesOf(f).filter((l) => l.includes('"segmentStart"') || (JSON.parse(l) as AuditEvent).seq <= (kept?.seq ?? 0));
      if (lines.length === 1 && !f.endsWith(`${String(kept?.segment).padStart(6, '0')}.jsonl`)) rmSync(f);
      else writeLines(f, lines);
    }
    t.match(await verifyAuditTrails([join(dir, 'audit')], { publicKeys }), { ok: true }, 'undetectable without the shipped log: the deployment matters');
    const api = await verifyApi(dir);
    t.match(api.trails.find((r) => r.trail === A)?.break?.kind, /^(?:missing|segment-missing)$/);
    const cli = verifyCli(dir);
    t.equal(cli.code, 1);
    t.match(cli.stderr, /(?:missing|segment-missing) trail replica-a/);
  });

  t.test('forge a checkpoint with another key', async (t) => {
    const dir = copy();
    const other = new AuditSigner({ key: Buffer.alloc(32, 9) });
    const lines = linesOf(checkpointFile(dir)).filter((l) => l.includes(`"trail":"${A}"`));
    const lastCp = parseCheckpoint(lines[lines.length - 1] as string);
    const body = checkpointBody({ checkpoint: 1, trail: A, segment: lastCp?.segment ?? 1, seq: 1000, hash: 'f'.repeat(64), time: new Date().toISOString(), reason: 'count', prevSig: lastCp?.sig ?? null });
    appendFileSync(checkpointFile(dir), `${checkpointLine(body, other.signHex(CHECKPOINT_DOMAIN + body))}\n`);
    other.close();
    await expectBreak(t, dir, A, 'checkpoint-signature');
  });

  t.test('add a whole forged trail', async (t) => {
    const dir = copy();
    const lines = linesOf(seg(dir, A, 1));
    const h = JSON.parse(lines[0] as string) as AuditSegmentHeader;
    lines[0] = segmentHeader({ ...h.segmentStart, trail: 'forged' }).line;
    writeLines(seg(dir, 'forged', 1), lines);
    rechain(dir, 'forged');
    await expectBreak(t, dir, 'forged', 'unsigned');
  });
});

t.test('a replica killed (SIGKILL) mid-write verifies up to its last complete event and says so', async (t) => {
  const dir = join(root, 'killed');
  const ready = await replica(dir, 'replica-k', 40, 'kill');
  const written = Number(/ready (\d+)/.exec(ready)?.[1]);
  const api = await verifyApi(dir);
  t.equal(api.ok, true, JSON.stringify(api.trails.map((r) => r.break)));
  const report = api.trails[0];
  t.equal(report?.closed, false, 'not closed');
  t.ok((report?.events ?? 0) >= written, 'every event written before the kill is verified');
  t.ok((report?.unanchored ?? 99) < 10, 'at most checkpointEvery - 1 events are outside the window of signatures');
  t.equal(report?.unanchored, (report?.head?.seq ?? 0) - (report?.lastCheckpoint?.seq ?? 0));
  // What a crash in the middle of a write leaves: a torn last line.
  const files = segments(dir, 'replica-k');
  const last = files[files.length - 1] as string;
  const lines = linesOf(last);
  appendFileSync(last, (lines[lines.length - 1] as string).slice(0, 120));
  const torn = await verifyApi(dir);
  t.equal(torn.ok, true);
  t.match(torn.trails[0], { torn: true, events: report?.events, head: { seq: report?.head?.seq } });
  const cli = verifyCli(dir);
  t.equal(cli.code, 0, cli.stderr);
  t.match(cli.stdout, /not covered by a signature.*cut short \(crash\?\): verified up to the head/);
  // A torn line anywhere but at the end is a break.
  writeLines(last, [...lines.slice(0, 2), (lines[2] as string).slice(0, 120), ...lines.slice(2)]);
  t.equal((await verifyApi(dir)).ok, false);
});
