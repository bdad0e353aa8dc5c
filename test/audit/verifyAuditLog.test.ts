import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { AuditHmac, AuditTrail, verifyAuditLog, type AuditEvent } from '../../src/audit';
import { canonicalAuditJson } from '../../src/audit/canonicalAuditJson';
import { sha256Hex } from '../../src/audit/sha256Hex';

const root = mkdtempSync(join(tmpdir(), 'audit-verify-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

/** A clean trail of `count` events, as lines (with the final newline's empty string). */
async function cleanLog(count = 20): Promise<string[]> {
  const path = join(root, `clean-${randomBytes(4).toString('hex')}.jsonl`);
  const hmac = new AuditHmac({ key: randomBytes(32) });
  const trail = new AuditTrail({ sink: { type: 'file', path }, hmac, failClosed: true });
  const outcomes = ['allowed', 'denied', 'failed'] as const;
  for (let i = 0; i < count; i++) {
    await trail.record({ requestId: `r${i}`, actor: { id: 'alice', roles: ['billing'] }, tenant: 'acme', action: 'secrets.get', name: `S${i}`, outcome: outcomes[i % 3] as 'allowed' });
  }
  await trail.close();
  hmac.close();
  return readFileSync(path, 'utf8').split('\n');
}

/** Writes lines to a file and verifies both the file and the lines. */
async function verifyBoth(t: Test, lines: string[], text = lines.join('\n')): Promise<Awaited<ReturnType<typeof verifyAuditLog>>> {
  const path = join(root, `case-${randomBytes(4).toString('hex')}.jsonl`);
  writeFileSync(path, text);
  const fromFile = await verifyAuditLog(path);
  const fromLines = await verifyAuditLog(lines);
  t.same(fromLines, fromFile, 'the file and its lines give the same verdict');
  return fromFile;
}

const edit = (line: string, change: (e: AuditEvent) => void, rehash = false): string => {
  const e = JSON.parse(line) as AuditEvent;
  change(e);
  if (rehash) {
    const { hash: _old, ...rest } = e;
    e.hash = sha256Hex(canonicalAuditJson(rest));
  }
  return JSON.stringify(e);
};

t.test('Function: verifyAuditLog', async (t) => {
  t.test('accepts a clean chain, from a file or from lines', async (t) => {
    const lines = await cleanLog(20);
    const last = JSON.parse(lines[19] as string) as AuditEvent;
    t.same(await verifyBoth(t, lines), { ok: true, count: 20, head: { seq: 20, hash: last.hash } });
  });

  t.test('accepts an empty log', async (t) => {
    t.same(await verifyBoth(t, ['']), { ok: true, count: 0, head: null });
    t.same(await verifyAuditLog([]), { ok: true, count: 0, head: null });
  });

  t.test('detects an edited field at its line', async (t) => {
    const lines = await cleanLog();
    lines[7] = edit(lines[7] as string, (e) => void (e.outcome = 'allowed' === e.outcome ? 'denied' : 'allowed'));
    t.match(await verifyBoth(t, lines), { ok: false, index: 7, line: 8, seq: 8, problem: 'edited', detail: /does not match its hash/ });
  });

  t.test('detects an edited field whose hash was recomputed, at the next line', async (t) => {
    const lines = await cleanLog();
    lines[7] = edit(lines[7] as string, (e) => void (e.actor.roles = ['admin']), true);
    t.match(await verifyBoth(t, lines), { ok: false, index: 8, seq: 9, problem: 'edited', detail: /prev is not the hash/ });
  });

  t.test('detects an added field and a removed field', async (t) => {
    const lines = await cleanLog();
    const added = [...lines];
    added[4] = edit(added[4] as string, (e) => void ((e as unknown as Record<string, unknown>).note = 'x'));
    t.match(await verifyBoth(t, added), { ok: false, index: 4, problem: 'edited', detail: /outside the schema/ });
    const removed = [...lines];
    removed[4] = edit(removed[4] as string, (e) => void delete (e as unknown as Record<string, unknown>).reason);
    t.match(await verifyBoth(t, removed), { ok: false, index: 4, problem: 'edited', detail: /lacks the field reason/ });
  });

  t.test('detects a deleted line where it was', async (t) => {
    const lines = await cleanLog();
    lines.splice(5, 1);
    t.match(await verifyBoth(t, lines), { ok: false, index: 5, line: 6, seq: 6, problem: 'missing', detail: /expected seq 6, found 7/ });
  });

  t.test('detects a deleted first line', async (t) => {
    const lines = await cleanLog();
    lines.shift();
    t.match(await verifyBoth(t, lines), { ok: false, index: 0, seq: 1, problem: 'missing' });
  });

  t.test('detects two swapped lines at the first of them', async (t) => {
    const lines = await cleanLog();
    [lines[10], lines[11]] = [lines[11] as string, lines[10] as string];
    t.match(await verifyBoth(t, lines), { ok: false, index: 10, seq: 11, problem: 'reordered', detail: /seq 11 comes later, at line 12/ });
  });

  t.test('detects a line moved to the end', async (t) => {
    const lines = await cleanLog();
    const [moved] = lines.splice(2, 1);
    lines.splice(lines.length - 1, 0, moved as string);
    t.match(await verifyBoth(t, lines), { ok: false, index: 2, seq: 3, problem: 'reordered' });
  });

  t.test('detects a replayed (duplicated) line', async (t) => {
    const lines = await cleanLog();
    lines.splice(6, 0, lines[3] as string);
    t.match(await verifyBoth(t, lines), { ok: false, index: 6, seq: 7, problem: 'reordered', detail: /seq 4 comes after seq 6/ });
  });

  t.test('detects a last line truncated mid-JSON', async (t) => {
    const lines = await cleanLog();
    lines.pop();
    lines[19] = (lines[19] as string).slice(0, 100);
    t.match(await verifyBoth(t, lines), { ok: false, index: 19, line: 20, seq: 20, problem: 'truncated' });
  });

  t.test('calls a cut line followed by a newline malformed, not truncated', async (t) => {
    const lines = await cleanLog();
    lines[19] = (lines[19] as string).slice(0, 100);
    const path = join(root, 'cut-newline.jsonl');
    writeFileSync(path, lines.join('\n'));
    t.match(await verifyAuditLog(path), { ok: false, index: 19, problem: 'malformed' });
  });

  t.test('detects garbage prepended to the log', async (t) => {
    const lines = await cleanLog();
    lines.unshift('garbage');
    t.match(await verifyBoth(t, lines), { ok: false, index: 0, line: 1, seq: 1, problem: 'malformed', detail: /not JSON/ });
  });

  t.test('detects a forged first event', async (t) => {
    const lines = await cleanLog();
    lines.unshift(edit(lines[0] as string, (e) => void (e.requestId = 'forged'), true));
    t.match(await verifyBoth(t, lines), { ok: false, index: 1, problem: 'reordered' });
  });

  t.test('detects an empty line and a JSON line that is no event', async (t) => {
    const lines = await cleanLog();
    t.match(await verifyBoth(t, [...lines.slice(0, 3), '', ...lines.slice(3)]), { ok: false, index: 3, problem: 'malformed', detail: /empty line/ });
    t.match(await verifyBoth(t, [...lines.slice(0, 3), '{"a":1}', ...lines.slice(3)]), { ok: false, index: 3, problem: 'malformed', detail: /not an audit event/ });
    t.match(await verifyBoth(t, [...lines.slice(0, 3), '[1]', ...lines.slice(3)]), { ok: false, index: 3, problem: 'malformed' });
  });

  t.test('accepts only canonical lines: a duplicated key, whitespace, key order or number form is a break', async (t) => {
    const lines = await cleanLog();
    const denied = lines.findIndex((l) => l.includes('"outcome":"denied"'));
    const variants: [string, string][] = [
      [(lines[denied] as string).replace('"outcome":"denied"', '"outcome":"allowed","outcome":"denied"'), 'noncanonical'],
      [(lines[denied] as string).replace('"seq":', '"seq": '), 'noncanonical'],
      [(lines[denied] as string).replace(/"seq":(\d+)/, '"seq":$1.0'), 'noncanonical'],
      [(lines[denied] as string).replace('{"v":1,"seq":', '{"seq":').replace('"time":', '"v":1,"time":'), 'noncanonical'],
      [(lines[denied] as string).replace('"outcome":"denied"', '"outcome":"denied","outcome":"allowed"'), 'edited'],
    ];
    for (const [line, problem] of variants) {
      const changed = [...lines];
      changed[denied] = line;
      t.match(await verifyBoth(t, changed), { ok: false, index: denied, problem }, line.slice(0, 60));
    }
  });

  t.test('detects a value of the wrong type as an edit', async (t) => {
    const lines = await cleanLog();
    lines[2] = edit(lines[2] as string, (e) => void ((e as unknown as Record<string, unknown>).crossTenant = 'false'));
    t.match(await verifyBoth(t, lines), { ok: false, index: 2, problem: 'edited', detail: /crossTenant/ });
  });

  t.test('verifies a segment from a given start, or from any start', async (t) => {
    const lines = await cleanLog(10);
    const fifth = JSON.parse(lines[4] as string) as AuditEvent;
    const segment = lines.slice(5);
    t.match(await verifyAuditLog(segment, { start: { seq: 5, hash: fifth.hash } }), { ok: true, count: 5 });
    t.match(await verifyAuditLog(segment, { start: 'any' }), { ok: true, count: 5 });
    t.match(await verifyAuditLog(segment), { ok: false, index: 0, problem: 'missing' });
    t.match(await verifyAuditLog(segment, { start: { seq: 5, hash: '1'.repeat(64) } }), { ok: false, index: 0, problem: 'edited' });
  });

  t.test('streams a large file in constant memory', async (t) => {
    const lines = await cleanLog(30_000);
    const path = join(root, 'large.jsonl');
    writeFileSync(path, lines.join('\n'));
    t.match(await verifyAuditLog(path), { ok: true, count: 30_000 });
  });

  t.test('reports a missing file by rejecting', async (t) => {
    await t.rejects(verifyAuditLog(join(root, 'nope.jsonl')), { code: 'ENOENT' });
  });
});
