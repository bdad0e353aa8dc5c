// Dynamic database credentials from OpenBao's database secrets engine (its built-in PostgreSQL plugin) against the
// real PostgreSQL peer: leases renewed, new credentials issued before max_ttl, a RotatingPool that switches, no
// query failing and no connection ever opened with an expired credential; leases revoked on close.
import t from 'tap';
import { RotatingPool, VaultDatabaseCredentials } from '../../src/postgres';
import { ensurePeer } from '../helpers/peers';
import { startPrivateBao } from '../providers/vault/vaultTestClient';
import { canLogin, PG } from './fixtures/pg';
import * as pg from 'pg';

async function bao(address: string, token: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${address}/v1/${path}`, { method, headers: { 'X-Vault-Token': token, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  if (!res.ok) throw new Error(`bao ${method} ${path}: HTTP ${res.status} ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

t.test('Class: VaultDatabaseCredentials with a RotatingPool', async (t) => {
  ensurePeer('postgres');
  ensurePeer('vault'); // installs the bao binary
  const server = await startPrivateBao();
  t.teardown(() => server.stop());
  const { address, token } = server;
  await bao(address, token, 'POST', 'sys/mounts/database', { type: 'database' });
  await bao(address, token, 'POST', 'database/config/pg', {
    plugin_name: 'postgresql-database-plugin',
    connection_url: `postgresql://{{username}}:{{password}}@${PG.host}:${PG.port}/${PG.database}?sslmode=disable`,
    username: PG.adminUser,
    password: PG.adminPassword,
    allowed_roles: 'app',
    verify_connection: true,
  });
  await bao(address, token, 'POST', 'database/roles/app', {
    db_name: 'pg',
    creation_statements: [`CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';`, `GRANT CONNECT ON DATABASE ${PG.database} TO "{{name}}";`],
    default_ttl: '4s',
    max_ttl: '8s',
  });

  t.test('rejects bad options', async (t) => {
    t.throws(() => new VaultDatabaseCredentials({ address: 'ftp://x', token, path: 'database/creds/app' }), { code: 'E_CONFIG' });
    t.throws(() => new VaultDatabaseCredentials({ address, token, path: '/v1/../sys' }), { code: 'E_CONFIG' });
    t.throws(() => new VaultDatabaseCredentials({ address, token, path: 'database/creds/app', renewAtRemaining: 1.5 }), { code: 'E_CONFIG' });
    const wrong = new VaultDatabaseCredentials({ address, token: 'not-a-token', path: 'database/creds/app' });
    await t.rejects(wrong.start(), { code: 'E_PROVIDER_AUTH' }, 'a refused token is an auth error');
  });

  t.test('queries keep flowing across renewals and re-issues; no connection with an expired credential', async (t) => {
    const creds = new VaultDatabaseCredentials({ address, token, path: 'database/creds/app' });
    await creds.start();
    const expiry = new Map<string, number>([[creds.user(), creds.expiresAt()]]);
    const issued = [creds.user()];
    let renewals = 0;
    creds.on('rotated', () => (expiry.set(creds.user(), creds.expiresAt()), issued.push(creds.user())));
    creds.on('renewed', () => (renewals++, expiry.set(creds.user(), creds.expiresAt())));
    const errors: unknown[] = [];
    creds.on('error', (e) => errors.push(e));
    const pool = new RotatingPool({ pg, config: { host: PG.host, port: PG.port, database: PG.database, max: 4 }, credentials: creds, drainMs: 2_000 });
    const late: string[] = [];
    let connects = 0;
    pool.on('connect', ({ user }: { user: string }) => {
      connects++;
      if (!(Date.now() < (expiry.get(user) ?? 0))) late.push(user);
    });
    let ok = 0;
    let failed = 0;
    // 20 s of queries: several leases of 4 s, renewed up to 8 s, then replaced.
    const until = Date.now() + 20_000;
    while (Date.now() < until) {
      await Promise.all(Array.from({ length: 4 }, () => pool.query('SELECT 1').then(() => ok++, () => failed++)));
      await new Promise((r) => setTimeout(r, 20));
    }
    await pool.end();
    const last = { user: creds.user(), password: creds.password() };
    t.ok(await canLogin(last.user, last.password), 'the current credential logs in before close');
    await creds.close();
    t.equal(failed, 0, `no failed query (${ok} ok)`);
    t.ok(ok > 500, 'queries were served');
    t.ok(issued.length >= 3, `new credentials were issued before expiry (${issued.length} users)`);
    t.ok(renewals >= 1, `leases were renewed (${renewals})`);
    t.same(late, [], `no connection used an expired credential (${connects} connections)`);
    t.same(errors, [], 'no renewal or issue failed');
    t.notOk(await canLogin(last.user, last.password).catch(() => false), 'close() revoked the lease: the credential is gone');
  });
});
