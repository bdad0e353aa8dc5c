// Unit tests of the signing side: keys, options, checkpoint triggers (count, time, rotate, close), segments by
// size and age, checkpoint sink failures, and the verifier's handling of unusual inputs.
import { spawnSync } from 'node:child_process';
import { appendFileSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  AuditHmac,
  AuditSigner,
  AuditTrail,
  generateAuditKeyPair,
  readAuditPublicKey,
  verifyAuditSignature,
  verifyAuditTrails,
  type AuditEventInput,
  type AuditTrailOptions,
} from '../../src/audit';
import { parseCheckpoint, type AuditCheckpoint } from '../../src/audit/auditCheckpoint';
import { ConfigError } from '../../src/errors';
import { ROOT } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const CLI = join(ROOT, 'bin', 'vc-secrets.js');
const hmac = new AuditHmac({ key: Buffer.alloc(32, 3) });
const SEED = Buffer.alloc(32, 5);
const event: AuditEventInput = { requestId: 'r', actor: { id: 'alice', roles: [] }, tenant: 'acme', action: 'secrets.get', name: 'K', outcome: 'allowed' };
const publicKeys = [Buffer.from(new AuditSigner({ key: SEED }).publicKeyHex, 'hex')];

function signedTrail(dir: string, signing: NonNullable<AuditTrailOptions['signing']> = {}, extra: Partial<AuditTrailOptions> = {}) {
  const infos: AuditCheckpoint[] = [];
  const errors: string[] = [];
  const waiters: (() => void)[] = [];
  const logger = {
    info: (obj: object) => {
      const line = (obj as { auditCheckpoint?: string }).auditCheckpoint;
      const cp = line === undefined ? undefined : parseCheckpoint(line);
      if (cp !== undefined) infos.push(cp);
      for (const w of waiters.splice(0)) w();
    },
    error: (_obj: object, msg: string) => void errors.push(msg),
  };
  const trail = new AuditTrail({ sink: { type: 'file', path: join(dir, 'audit.jsonl') }, hmac, failClosed: true, logger, signing: { key: SEED, trailId: 'unit', ...signing }, ...extra });
  const nextCheckpoint = (): Promise<void> => new Promise((resolve) => waiters.push(resolve));
  return { trail, infos, errors, nextCheckpoint };
}

t.test('Class: AuditSigner and key helpers', async (t) => {
  t.test('loads a seed, a 64-byte secret key, hex files and raw files to the same public key', async (t) => {
    const dir = tmpdir(t);
    const pair = generateAuditKeyPair();
    const seed = Buffer.from(pair.secretKey, 'hex');
    const fromSeed = new AuditSigner({ key: seed });
    t.equal(fromSeed.publicKeyHex, pair.publicKey);
    const full = Buffer.concat([seed, Buffer.from(pair.publicKey, 'hex')]);
    t.equal(new AuditSigner({ key: full }).publicKeyHex, pair.publicKey);
    writeFileSync(join(dir, 'hex.key'), `${pair.secretKey}\n`);
    writeFileSync(join(dir, 'full.key'), full.toString('hex'));
    writeFileSync(join(dir, 'raw.key'), seed);
    for (const f of ['hex.key', 'full.key', 'raw.key']) t.equal(new AuditSigner({ keyFile: join(dir, f) }).publicKeyHex, pair.publicKey, f);
    const sig = fromSeed.signHex('message');
    t.ok(verifyAuditSignature('message', sig, [Buffer.from(pair.publicKey, 'hex')]));
    t.notOk(verifyAuditSignature('messagE', sig, [Buffer.from(pair.publicKey, 'hex')]));
    t.notOk(verifyAuditSignature('message', 'zz', [Buffer.from(pair.publicKey, 'hex')]));
    fromSeed.close();
    t.throws(() => fromSeed.signHex('x'), ConfigError, 'a closed signer refuses');
  });

  t.test('refuses bad keys with ConfigError, never echoing the key', async (t) => {
    const dir = tmpdir(t);
    const pair = generateAuditKeyPair();
    t.throws(() => new AuditSigner({}), ConfigError);
    t.throws(() => new AuditSigner({ key: SEED, keyFile: 'x' }), ConfigError);
    t.throws(() => new AuditSigner({ key: Buffer.alloc(16) }), ConfigError);
    t.throws(() => new AuditSigner({ key: Buffer.concat([SEED, Buffer.alloc(32)]) }), /inconsistent/);
    t.throws(() => new AuditSigner({ keyFile: join(dir, 'missing') }), /Cannot read/);
    writeFileSync(join(dir, 'short.key'), 'abcd');
    const error = t.throws(() => new AuditSigner({ keyFile: join(dir, 'short.key') })) as Error;
    t.notOk(error.message.includes('abcd'));
    t.notOk(String(t.throws(() => new AuditSigner({ key: Buffer.from(pair.secretKey.slice(0, 20)) }))).includes(pair.secretKey.slice(0, 20)));
  });

  t.test('reads public keys as hex, hex files and raw files', async (t) => {
    const dir = tmpdir(t);
    const pair = generateAuditKeyPair();
    writeFileSync(join(dir, 'k.pub'), `${pair.publicKey}\n`);
    writeFileSync(join(dir, 'raw.pub'), Buffer.from(pair.publicKey, 'hex'));
    writeFileSync(join(dir, 'bad.pub'), 'nope');
    for (const source of [pair.publicKey, join(dir, 'k.pub'), join(dir, 'raw.pub')]) t.equal(Buffer.from(readAuditPublicKey(source)).toString('hex'), pair.publicKey);
    t.throws(() => readAuditPublicKey(join(dir, 'bad.pub')), ConfigError);
    t.throws(() => readAuditPublicKey(join(dir, 'missing.pub')), ConfigError);
  });
});

t.test('Class: AuditTrail with signing', async (t) => {
  t.test('refuses signing options it cannot honour', async (t) => {
    t.throws(() => new AuditTrail({ sink: { type: 'stdout' }, hmac, signing: { key: SEED } }), ConfigError);
    t.throws(() => new AuditTrail({ sink: { type: 'file', path: 'x' }, hmac, signing: { key: SEED, trailId: 'a.b' } }), ConfigError);
    for (const bad of [{ checkpointEvery: 0 }, { checkpointIntervalMs: -1 }, { segmentMaxBytes: Number.NaN }, { segmentMaxAgeMs: 0 }]) {
      t.throws(() => new AuditTrail({ sink: { type: 'file', path: 'x' }, hmac, signing: { key: SEED, ...bad } }), ConfigError, JSON.stringify(bad));
    }
  });

  t.test('has a default trail id per process, and exposes the public key and current file', async (t) => {
    const dir = tmpdir(t);
    const trail = new AuditTrail({ sink: { type: 'file', path: join(dir, 'audit') }, hmac, signing: { key: SEED } });
    t.match(trail.trailId, new RegExp(`^[A-Za-z0-9-]+-${process.pid}-[0-9a-f]{8}$`));
    t.equal(trail.publicKey, Buffer.from(publicKeys[0] as Buffer).toString('hex'));
    t.equal(trail.currentFile, join(dir, `audit.${trail.trailId}.000001.jsonl`));
    t.equal(new AuditTrail({ sink: { type: 'file', path: join(dir, 'plain.jsonl') }, hmac }).currentFile, join(dir, 'plain.jsonl'));
    await trail.close();
  });

  t.test('signs on open, every N events, on demand, on reopen (a new segment) and on close', async (t) => {
    const dir = tmpdir(t);
    const { trail, infos } = signedTrail(dir, { checkpointEvery: 3 });
    for (let i = 0; i < 7; i++) trail.recordSync(event);
    t.same(infos.map((c) => [c.reason, c.seq]), [['open', 0], ['count', 3], ['count', 6]]);
    trail.checkpoint();
    trail.checkpoint();
    t.same(infos.map((c) => c.reason).slice(3), ['time'], 'checkpoint() signs once when nothing changed since');
    trail.reopen();
    trail.recordSync(event);
    await trail.close();
    t.same(infos.map((c) => [c.reason, c.segment, c.seq]).slice(4), [['rotate', 1, 7], ['close', 2, 8]]);
    const file = readFileSync(join(dir, 'audit.checkpoints.jsonl'), 'utf8').split('\n').filter(Boolean);
    t.same(file.map((l) => parseCheckpoint(l)), infos, 'the checkpoint file and the operational log carry the same checkpoints');
    t.match(await verifyAuditTrails([dir], { publicKeys }), { ok: true, trails: [{ trail: 'unit', events: 8, segments: 2, closed: true }] });
  });

  t.test('signs after the interval when events are waiting', async (t) => {
    const dir = tmpdir(t);
    const { trail, infos, nextCheckpoint } = signedTrail(dir, { checkpointIntervalMs: 20 });
    const opened = nextCheckpoint();
    trail.recordSync(event);
    await opened;
    // The trail's timer is unref'd (it never keeps a process alive); this handle keeps the test's loop running.
    const keepAlive = setInterval(() => undefined, 60_000);
    await nextCheckpoint();
    clearInterval(keepAlive);
    t.match(infos[1], { reason: 'time', seq: 1 });
    await trail.close();
  });

  t.test('starts a new segment by size and by age', async (t) => {
    const dir = tmpdir(t);
    let now = Date.UTC(2026, 0, 1);
    const bySize = signedTrail(join(dir, 'size'), { segmentMaxBytes: 1500, trailId: 'size' });
    for (let i = 0; i < 10; i++) bySize.trail.recordSync(event);
    await bySize.trail.close();
    t.ok(readdirSync(join(dir, 'size')).filter((f) => f.endsWith('.jsonl') && !f.includes('checkpoints')).length >= 3);
    for (const f of readdirSync(join(dir, 'size')).filter((name) => !name.includes('checkpoints'))) t.ok(statSync(join(dir, 'size', f)).size < 1500 + 600, f);
    const byAge = signedTrail(join(dir, 'age'), { segmentMaxAgeMs: 1000, trailId: 'age' }, { clock: () => now });
    byAge.trail.recordSync(event);
    now += 999;
    byAge.trail.recordSync(event);
    now += 1;
    byAge.trail.recordSync(event);
    byAge.trail.recordSync(event);
    await byAge.trail.close();
    t.same(byAge.infos.map((c) => [c.reason, c.segment]), [['open', 1], ['rotate', 1], ['close', 2]]);
    t.match(await verifyAuditTrails([join(dir, 'size'), join(dir, 'age')], { publicKeys }), { ok: true, trails: [{ trail: 'age', events: 4 }, { trail: 'size', events: 10 }] });
  });

  t.test('logs a checkpoint file it cannot write, and keeps the checkpoint in the operational log', async (t) => {
    const dir = tmpdir(t);
    writeFileSync(join(dir, 'blocker'), '');
    const { trail, infos, errors } = signedTrail(dir, { checkpointFile: join(dir, 'blocker', 'cp.jsonl') });
    trail.recordSync(event);
    await trail.close();
    t.equal(infos.length, 2);
    t.match(errors, [/could not be appended to the checkpoint file/, /could not be appended/]);
  });

  t.test('never continues another segment file', async (t) => {
    const dir = tmpdir(t);
    writeFileSync(join(dir, 'audit.unit.000001.jsonl'), 'x\n');
    const { trail } = signedTrail(dir);
    t.throws(() => trail.recordSync(event), /EEXIST/);
  });
});

t.test('Function: verifyAuditTrails on unusual inputs', async (t) => {
  t.test('reports unsigned files, bad checkpoint lines, and a plain log without keys', async (t) => {
    const dir = tmpdir(t);
    const plain = new AuditTrail({ sink: { type: 'file', path: join(dir, 'plain.jsonl') }, hmac, failClosed: true });
    plain.recordSync(event);
    await plain.close();
    t.match(await verifyAuditTrails([join(dir, 'plain.jsonl')]), { ok: true, signed: false, trails: [{ trail: 'plain.jsonl', events: 1, break: null }] });
    t.match(await verifyAuditTrails([join(dir, 'plain.jsonl')], { publicKeys }), { ok: false, trails: [{ break: { kind: 'unsigned' } }] });
    writeFileSync(join(dir, 'cp.jsonl'), '{"checkpoint":1,"trail":"x"}\n');
    t.match(await verifyAuditTrails([join(dir, 'cp.jsonl')], { publicKeys }), { ok: false, problems: [{ line: 1, detail: /not a well-formed/ }] });
  });

  t.test('reports a fork and a gap in the checkpoint chain', async (t) => {
    const dir = tmpdir(t);
    const { trail } = signedTrail(dir, { checkpointEvery: 2 });
    for (let i = 0; i < 6; i++) trail.recordSync(event);
    await trail.close();
    const cpFile = join(dir, 'audit.checkpoints.jsonl');
    const lines = readFileSync(cpFile, 'utf8').split('\n').filter(Boolean);
    writeFileSync(cpFile, [...lines.slice(0, 2), ...lines.slice(3)].map((l) => `${l}\n`).join(''));
    t.match(await verifyAuditTrails([dir], { publicKeys }), { ok: false, trails: [{ break: { kind: 'checkpoint-chain' } }] });
    // A second trail with the same id and key makes a fork.
    writeFileSync(cpFile, lines.map((l) => `${l}\n`).join(''));
    const other = signedTrail(join(dir, 'other'));
    other.trail.recordSync({ ...event, requestId: 'other' });
    await other.trail.close();
    appendFileSync(cpFile, readFileSync(join(dir, 'other', 'audit.checkpoints.jsonl')));
    t.match(await verifyAuditTrails([dir], { publicKeys }), { ok: false, trails: [{ break: { kind: 'checkpoint-chain' } }] });
  });
});

t.test('CLI: vc-secrets audit keygen', async (t) => {
  const dir = tmpdir(t);
  const prefix = join(dir, 'signing');
  const r = spawnSync(process.execPath, [CLI, 'audit', 'keygen', '--out', prefix], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const pub = readFileSync(`${prefix}.pub`, 'utf8').trim();
  t.match(r.stdout, pub);
  t.notOk(r.stdout.includes(readFileSync(`${prefix}.key`, 'utf8').trim()), 'the secret key is never printed');
  t.equal(statSync(`${prefix}.key`).mode & 0o777, 0o600);
  t.equal(new AuditSigner({ keyFile: `${prefix}.key` }).publicKeyHex, pub);
  const again = spawnSync(process.execPath, [CLI, 'audit', 'keygen', '--out', prefix], { encoding: 'utf8' });
  t.equal(again.status, 1, 'never overwrites a key');
  t.match(again.stderr, /never overwrites/);
  const json = spawnSync(process.execPath, [CLI, '--json', 'audit', 'keygen', '--out', join(dir, 'second')], { encoding: 'utf8' });
  t.match(JSON.parse(json.stdout), { publicKey: /^[0-9a-f]{64}$/ });
});
