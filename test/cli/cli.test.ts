// The built CLI, spawned as operators run it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { AtomicWriter } from '../../src/testing/AtomicWriter';
import { AuditHmac } from '../../src/audit/AuditHmac';
import { AuditTrail } from '../../src/audit/AuditTrail';
import { plantValue } from '../helpers/peers';
import { REQUIRED, ROOT, writeSchema } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';

const CLI = path.join(ROOT, 'bin', 'vc-secrets.js');
function cli(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', HOME: '/tmp', ...env }, encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

t.test('CLI: vc-secrets', async (t) => {
  const dir = tmpdir(t);
  const mount = path.join(dir, 'mount');
  const value = plantValue();
  new AtomicWriter(mount).write({ A: value });
  const schema = writeSchema(dir, { A: REQUIRED, B: "{ format: String, default: 'x' }" });
  const env = { SECRETS_SOURCE: `file://${mount}`, SECRETS_SCHEMA: schema };

  t.test('--help for the program and every command', async (t) => {
    for (const args of [['--help'], ['check', '--help'], ['doctor', '--help'], ['audit', 'verify', '--help'], ['audit', 'hmac', '--help']]) {
      const r = cli(args);
      t.equal(r.code, 0, args.join(' '));
      t.match(r.stdout, /Usage: vc-secrets/);
    }
    t.equal(cli(['nope']).code, 2, 'an unknown command is a usage error');
  });

  t.test('check: 0 when valid, 78 with the preload messages when not', async (t) => {
    const ok = cli(['check'], env);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stdout, /ok: 1 secret\(s\) valid/);
    const json = cli(['--json', 'check'], env);
    t.match(JSON.parse(json.stdout), { ok: true, names: ['A'], versions: { A: /^d:/ } });
    const schema2 = writeSchema(tmpdir(t), { A: "{ format: 'secret', default: null, minBytes: 999 }", MISSING: REQUIRED });
    const bad = cli(['check'], { ...env, SECRETS_SCHEMA: schema2 });
    t.equal(bad.code, 78);
    t.match(bad.stderr, /@valuecanvas\/secrets: A: must be at least 999 bytes/);
    t.match(bad.stderr, /@valuecanvas\/secrets: MISSING: is required but no source has it/);
    const badJson = cli(['--json', 'check'], { ...env, SECRETS_SCHEMA: schema2 });
    t.match(JSON.parse(badJson.stdout), { ok: false, exitCode: 78, code: 'E_VALIDATION' });
    const down = cli(['check'], { SECRETS_SOURCE: 'aws://us-east-1/x/?endpoint=http%3A%2F%2F127.0.0.1%3A9&timeoutMs=200&retries=0&deadlineMs=800', SECRETS_SCHEMA: schema, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
    t.equal(down.code, 69, 'unreachable backend');
    for (const r of [ok, json, bad, badJson]) t.notOk(r.stdout.includes(value) || r.stderr.includes(value));
  });

  t.test('doctor: findings with fixes; a failing provider fails it', async (t) => {
    fs.chmodSync(mount, 0o777);
    const r = cli(['--json', 'doctor'], env);
    const report = JSON.parse(r.stdout) as { ok: boolean; findings: { check: string; status: string; fix: string }[] };
    t.equal(r.code, 1, 'a world-writable mount fails');
    t.ok(report.findings.some((f) => f.check === 'memlock'));
    t.ok(report.findings.some((f) => f.check === 'core dumps'));
    t.ok(report.findings.some((f) => f.status === 'fail' && /writable by everyone/.test(JSON.stringify(f)) && f.fix));
    fs.chmodSync(mount, 0o755);
    const down = cli(['doctor'], { SECRETS_SOURCE: 'aws://us-east-1/x/?endpoint=http%3A%2F%2F127.0.0.1%3A9&timeoutMs=200&retries=0&deadlineMs=800', SECRETS_SCHEMA: schema, AWS_ACCESS_KEY_ID: 'a', AWS_SECRET_ACCESS_KEY: 'b' });
    t.equal(down.code, 1);
    t.match(down.stdout, /FAIL provider aws:\/\/us-east-1\/x\/: E_PROVIDER_UNAVAILABLE/);
    t.match(down.stdout, /fix: Check network policy/);
    const nosettings = cli(['doctor']);
    t.equal(nosettings.code, 1);
    t.match(nosettings.stdout, /FAIL settings: SECRETS_SOURCE is not set/);
  });

  t.test('audit verify and audit hmac', async (t) => {
    const keyFile = path.join(dir, 'audit.key');
    fs.writeFileSync(keyFile, 'a'.repeat(64));
    const hmac = new AuditHmac({ keyFile });
    const file = path.join(dir, 'audit.jsonl');
    const trail = new AuditTrail({ sink: { type: 'file', path: file }, hmac, failClosed: true });
    for (let i = 0; i < 5; i++) trail.recordSync({ actor: { id: 'op', roles: ['admin'] }, tenant: 'acme', action: 'secrets.get', name: 'DB_PASSWORD', outcome: 'allowed', requestId: `r${i}` });
    await trail.close();
    const ok = cli(['audit', 'verify', file]);
    t.equal(ok.code, 0, ok.stderr);
    t.match(ok.stdout, /ok: 5 event\(s\), chain intact/);
    const lines = fs.readFileSync(file, 'utf8').split('\n');
    [lines[1], lines[2]] = [lines[2]!, lines[1]!];
    fs.writeFileSync(file, lines.join('\n'));
    const bad = cli(['--json', 'audit', 'verify', file]);
    t.equal(bad.code, 1);
    t.match(JSON.parse(bad.stdout), { ok: false, line: 2 });
    const ref = cli(['audit', 'hmac', 'DB_PASSWORD', '--key-file', keyFile]);
    t.equal(ref.code, 0);
    t.equal(ref.stdout.trim(), hmac.reference('DB_PASSWORD'));
    t.ok(fs.readFileSync(file, 'utf8').includes(ref.stdout.trim()), 'the reference finds the events in the log');
    hmac.close();
  });
});

t.test('CLI: manifests check', async (t) => {
  const schema = path.join(ROOT, 'examples', 'schema.js');
  for (const overlay of ['aws', 'vault', 'azure']) {
    const r = cli(['manifests', 'check', path.join(ROOT, 'deploy', 'kubernetes', 'overlays', overlay), '--schema', schema]);
    t.equal(r.code, 0, `${overlay}: ${r.stdout}${r.stderr}`);
  }
  const broken = tmpdir(t);
  fs.cpSync(path.join(ROOT, 'deploy', 'kubernetes'), broken, { recursive: true });
  const spc = path.join(broken, 'overlays', 'aws', 'secretproviderclass.yaml');
  fs.writeFileSync(spc, fs.readFileSync(spc, 'utf8').replace('objectAlias: "DB_PASSWORD"', 'objectAlias: "DB_PASSWRD"'));
  const r = cli(['--json', 'manifests', 'check', path.join(broken, 'overlays', 'aws'), '--schema', schema]);
  t.equal(r.code, 1, 'a misspelt alias fails');
  const report = JSON.parse(r.stdout) as { findings: { message: string }[] };
  t.ok(report.findings.some((f) => /DB_PASSWORD/.test(f.message)), 'the missing required secret is named');
  t.ok(report.findings.some((f) => /DB_PASSWRD/.test(f.message)), 'the unknown alias is named');
  t.equal(cli(['manifests', 'check', broken]).code, 78, 'no schema: a configuration error');
});
