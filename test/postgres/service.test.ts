// A tenant's PostgreSQL credential rotated through the SecretsService (RBAC, audit) on OpenBao: step 2b is
// audited as secrets.rotate.apply, the chain verifies, and no password reaches the audit file.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { Policy, type PolicyDocument } from '../../src/access';
import { AuditTrail, verifyAuditLog } from '../../src/audit';
import { postgresRotation } from '../../src/postgres';
import { createSecretsService } from '../../src/service';
import { uniquePrefix } from '../helpers/peers';
import { tmpdir } from '../helpers/tmp';
import { makePeerClient } from '../rotation/fixtures/peerClients';
import { ctxOf, hmac } from '../service/fixtures/serviceKit';
import { adminOptions, canLogin, createRoles, credentials, dropRoles, parseCredentials } from './fixtures/pg';

const POLICY: PolicyDocument = {
  version: 1,
  roles: { rotator: { grants: [{ permissions: ['secrets:read', 'secrets:write', 'secrets:list', 'secrets:rotate'] }] } },
  members: { ops: ['acme'] },
};

t.test('SecretsService.rotate with the PostgreSQL applier', async (t) => {
  const client = await makePeerClient('vault', uniquePrefix('svc-pg'));
  t.teardown(() => client.close());
  const file = join(tmpdir(t, 'svc-pg'), 'audit.jsonl');
  const trail = new AuditTrail({ sink: { type: 'file', path: file }, hmac, failClosed: true });
  t.teardown(() => trail.close());
  const service = createSecretsService({ providers: client, policy: new Policy(POLICY), audit: trail, environment: 'peer', prefix: 'vc' });
  const [a, b] = await createRoles(2);
  t.teardown(() => dropRoles([a!.user, b!.user]));
  const ctx = ctxOf('ops', ['rotator']);
  await service.set(ctx, 'acme', 'DB_CREDENTIALS', credentials(a!.user, a!.password));
  const rotation = postgresRotation({ strategy: 'alternating-users', users: [a!.user, b!.user], admin: adminOptions() });
  await service.rotate(ctx, 'acme', 'DB_CREDENTIALS', { ...rotation, gracePeriodMs: 60_000 });
  const now = await service.use(ctx, 'acme', 'DB_CREDENTIALS', (view) => parseCredentials(Buffer.from(view)));
  t.equal(now.username, b!.user, 'the other user is current');
  t.ok(await canLogin(now.username, now.password), 'and logs in');
  t.ok(await canLogin(a!.user, a!.password), 'the previous credential still works');
  await trail.close();
  const text = readFileSync(file, 'utf8');
  const actions = text.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { action: string }).action);
  t.ok(actions.includes('secrets.rotate.apply'), `step 2b is audited (${actions.join(', ')})`);
  t.ok((await verifyAuditLog(file)).ok, 'the audit chain verifies');
  t.notOk(text.includes(now.password) || text.includes(a!.password), 'no password in the audit file');
});
