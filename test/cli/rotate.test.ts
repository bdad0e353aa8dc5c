// vc-secrets rotate / versions / rollback / rotate --due, spawned as operators run them, against the OpenBao peer.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { verifyAuditLog } from '../../src/audit';
import { SecretRotator } from '../../src/rotation';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../helpers/peers';
import { ROOT } from '../helpers/service';
import { tmpdir } from '../helpers/tmp';
import { makeVaultClient } from '../providers/vault/vaultTestClient';

const CLI = path.join(ROOT, 'bin', 'vc-secrets.js');
const DAY = 86_400_000;

t.test('CLI: rotate, versions, rollback, rotate --due on the vault peer', async (t) => {
  ensurePeer('vault');
  const prefix = uniquePrefix('cli-rot');
  const raw = await makeVaultClient(prefix);
  t.teardown(() => raw.close());
  const dir = tmpdir(t, 'cli-rot');
  const policy = path.join(dir, 'policy.yaml');
  fs.writeFileSync(
    policy,
    ['version: 1', 'roles:', '  rotator:', '    grants:', '      - permissions: [secrets:read, secrets:list, secrets:rotate]', '  reader:', '    grants:', '      - permissions: [secrets:read]', 'members:', '  ops: [acme]', '  rd: [acme]', ''].join('\n'),
  );
  const keyFile = path.join(dir, 'audit.key');
  fs.writeFileSync(keyFile, 'k'.repeat(64));
  const auditFile = path.join(dir, 'audit.jsonl');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: '/tmp',
    VAULT_TOKEN: PEERS.vault.token,
    SECRETS_SERVICE_SOURCE: `vault://${PEERS.vault.address.replace(/^https?:\/\//, '')}/secret/${prefix}?tls=0&retries=1&timeoutMs=3000`,
    SECRETS_POLICY: policy,
    SECRETS_AUDIT_FILE: auditFile,
    SECRETS_AUDIT_KEY_FILE: keyFile,
    SECRETS_ACTOR: 'ops',
    SECRETS_ACTOR_ROLES: 'rotator',
    SECRETS_ENVIRONMENT: 'prod',
  };
  const cli = (args: string[], extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, ...args], { env: { ...env, ...extra }, encoding: 'utf8', cwd: ROOT, timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const seed = plantValue();
  const secretPath = 'prod/tenants/acme/API_KEY';
  await raw.put(secretPath, Buffer.from(seed));

  const rot = cli(['--json', 'rotate', 'acme', 'API_KEY']);
  t.equal(rot.code, 0, rot.stderr);
  const rotated = JSON.parse(rot.stdout) as { ok: boolean; version: string; previousVersion: string; steps: { step: string }[] };
  t.equal(rotated.steps.length, 6);
  const plain = cli(['rotate', 'acme', 'API_KEY', '--grace-ms', '3600000']);
  t.equal(plain.code, 0, plain.stderr);
  t.match(plain.stdout, /rotated acme\/API_KEY: version \S+ is current/);

  const ver = cli(['--json', 'versions', 'acme', 'API_KEY']);
  t.equal(ver.code, 0, ver.stderr);
  const versions = (JSON.parse(ver.stdout) as { versions: { version: string; state: string }[] }).versions;
  t.ok(versions.length >= 3);
  t.match(cli(['versions', 'acme', 'API_KEY']).stdout, /version\s+state/);

  const back = cli(['--json', 'rollback', 'acme', 'API_KEY']);
  t.equal(back.code, 0, back.stderr);
  t.match(JSON.parse(back.stdout), { ok: true, restoredFrom: String });

  // rotate --due with a policy that is due (evaluated two days ahead).
  await new SecretRotator({ client: raw }).setPolicy(secretPath, { intervalMs: DAY, gracePeriodMs: 3_600_000 });
  const due = cli(['--json', 'rotate', '--due', '--now', new Date(Date.now() + 2 * DAY).toISOString()]);
  t.equal(due.code, 0, due.stderr);
  t.match(JSON.parse(due.stdout), { ok: true, total: 1, due: 1, rotated: ['acme/API_KEY'], failures: [] });
  const notDue = cli(['rotate', '--due']);
  t.equal(notDue.code, 0, notDue.stderr);
  t.match(notDue.stdout, /ok: 1 secret\(s\), 1 with a policy, 0 due/);

  // A forbidden actor: non-zero exit with E_FORBIDDEN, the denial in the audit file.
  const denied = cli(['rotate', 'acme', 'API_KEY'], { SECRETS_ACTOR: 'rd', SECRETS_ACTOR_ROLES: 'reader' });
  t.equal(denied.code, 1);
  t.match(denied.stderr, /E_FORBIDDEN/);
  const lines = fs.readFileSync(auditFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { action: string; outcome: string; actor: { id: string } });
  t.match(lines.at(-1), { action: 'secrets.rotate.request', outcome: 'denied', actor: { id: 'rd' } });
  t.ok(lines.some((l) => l.action === 'secrets.rollback' && l.outcome === 'allowed'));
  t.ok((await verifyAuditLog(auditFile)).ok, 'the chain verifies');
  const missing = cli(['rotate', 'acme', 'API_KEY'], { SECRETS_POLICY: '' });
  t.equal(missing.code, 78, 'missing configuration');
  for (const r of [rot, plain, ver, back, due, notDue, denied]) t.notOk(r.stdout.includes(seed) || r.stderr.includes(seed), 'never a value');
  t.notOk(fs.readFileSync(auditFile, 'utf8').includes(seed));
});
