import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { AuditHmac, auditReference } from '../../src/audit';
import { AuditWriteError, ConfigError } from '../../src/errors';

const nodeHmac = (key: Buffer, input: string): string => `hmac-sha256:${createHmac('sha256', key).update(input, 'utf8').digest('hex')}`;
const quiet = { warn: () => undefined };

t.test('Class: AuditHmac', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-hmac-'));

  t.test('Method: reference', async (t) => {
    t.test('is HMAC-SHA256 of the UTF-8 input, as node:crypto and openssl compute it', async (t) => {
      for (const keyLength of [32, 64, 65, 200]) {
        const key = randomBytes(keyLength);
        const hmac = new AuditHmac({ key });
        for (const input of ['STRIPE_KEY', '', 'a'.repeat(1000), 'DB.password-1', '\u0430cme\u202e', 'x'.repeat(300)]) {
          t.equal(hmac.reference(input), nodeHmac(key, input), `key ${keyLength} B, input ${input.length} chars`);
          t.equal(hmac.reference(input), nodeHmac(key, input), 'the same again (cached)');
        }
        hmac.close();
      }
    });
    t.test('looks like hmac-sha256:<64 hex>', async (t) => {
      const hmac = new AuditHmac({ key: randomBytes(32) });
      t.match(hmac.reference('A'), /^hmac-sha256:[0-9a-f]{64}$/);
      t.not(hmac.reference('A'), hmac.reference('B'));
    });
    t.test('throws after close, cached inputs included', async (t) => {
      const hmac = new AuditHmac({ key: randomBytes(32) });
      hmac.reference('A');
      hmac.close();
      hmac.close();
      t.throws(() => hmac.reference('A'), AuditWriteError);
      t.throws(() => hmac.reference('B'), { code: 'E_AUDIT_WRITE' });
    });
  });

  t.test('copies the key: later changes to the caller\'s buffer change nothing', async (t) => {
    const key = randomBytes(32);
    const copy = Buffer.from(key);
    const hmac = new AuditHmac({ key });
    t.same(key, copy, 'the caller\'s buffer is left as it was');
    key.fill(0);
    t.equal(hmac.reference('uncached'), nodeHmac(copy, 'uncached'));
  });

  t.test('reads a key file as hex text or raw bytes', async (t) => {
    const key = randomBytes(32);
    const hexFile = join(dir, 'hex.key');
    writeFileSync(hexFile, `  ${key.toString('hex')}\n`);
    t.equal(new AuditHmac({ keyFile: hexFile }).reference('A'), nodeHmac(key, 'A'));
    const rawFile = join(dir, 'raw.key');
    const raw = Buffer.concat([randomBytes(40), Buffer.from('\n')]);
    writeFileSync(rawFile, raw);
    t.equal(new AuditHmac({ keyFile: rawFile }).reference('A'), nodeHmac(raw, 'A'), 'raw bytes are used as they are');
  });

  t.test('refuses short keys, two keys and unreadable key files', async (t) => {
    t.throws(() => new AuditHmac({ key: randomBytes(31) }), ConfigError);
    t.throws(() => new AuditHmac({ key: 'x'.repeat(40) as unknown as Uint8Array }), ConfigError);
    const short = join(dir, 'short.key');
    writeFileSync(short, 'abcd');
    t.throws(() => new AuditHmac({ keyFile: short }), { name: 'ConfigError', message: /fewer than 32 bytes/ });
    t.throws(() => new AuditHmac({ keyFile: join(dir, 'missing.key') }), { name: 'ConfigError', message: /ENOENT/ });
    t.throws(() => new AuditHmac({ key: randomBytes(32), keyFile: short }), { name: 'ConfigError', message: /not both/ });
  });

  t.test('uses a random per-process key in development, with a warning', async (t) => {
    const warnings: string[] = [];
    const a = new AuditHmac({ shouldAllowRandomKey: true, logger: { warn: (_o, msg) => warnings.push(msg) } });
    const b = new AuditHmac({ shouldAllowRandomKey: true, logger: quiet });
    t.ok(a.isRandomKey);
    t.not(a.reference('A'), b.reference('A'), 'two processes (instances) do not share references');
    t.match(warnings, [/random per-process key.*not comparable/]);
  });

  t.test('refuses to run without a key in production', async (t) => {
    t.throws(() => new AuditHmac({ shouldAllowRandomKey: false }), { name: 'ConfigError', message: /No audit HMAC key/ });
    const saved = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    t.teardown(() => {
      if (saved === undefined) delete process.env.NODE_ENV;
      else process.env.NODE_ENV = saved;
    });
    t.throws(() => new AuditHmac({}), ConfigError);
  });
});

t.test('Function: auditReference', async (t) => {
  t.test('gives operators the reference the trail records, from the key or the key file', async (t) => {
    const key = randomBytes(32);
    const file = join(mkdtempSync(join(tmpdir(), 'audit-ref-')), 'audit.key');
    writeFileSync(file, key.toString('hex'));
    const trailHmac = new AuditHmac({ keyFile: file });
    t.equal(auditReference('STRIPE_KEY', { keyFile: file }), trailHmac.reference('STRIPE_KEY'));
    t.equal(auditReference('STRIPE_KEY', { key }), nodeHmac(key, 'STRIPE_KEY'));
  });
  t.test('never falls back to a random key', async (t) => {
    t.throws(() => auditReference('A', {} as { keyFile: string }), ConfigError);
  });
});
