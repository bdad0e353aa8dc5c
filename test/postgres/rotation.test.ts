// Rotation of real PostgreSQL logins (scripts/peers/postgres.sh) whose credentials live in a real secret store
// (moto, OpenBao): step 2b applies the new password with ALTER ROLE, step 3 logs in with it, a failure restores
// the database. Values are planted or captured and only ever compared, never printed.
import t from 'tap';
import { postgresRotation, scramVerifier } from '../../src/postgres';
import { SecretRotator, type RotationStepEvent } from '../../src/rotation';
import type { ProviderClient } from '../../src/providers/Provider';
import { uniquePrefix, type PeerName } from '../helpers/peers';
import { makePeerClient } from '../rotation/fixtures/peerClients';
import { spawnRotateChild } from '../rotation/fixtures/spawnRotateChild';
import { adminOptions, canLogin, createRoles, credentials, dropRoles, parseCredentials, withAdmin } from './fixtures/pg';

const STORES: PeerName[] = ['aws', 'vault'];

async function current(client: ProviderClient, path: string): Promise<{ username: string; password: string }> {
  const fetched = await client.get(path);
  return parseCredentials(fetched.value);
}

function recorder(): { events: RotationStepEvent[]; onStep: (e: RotationStepEvent) => void } {
  const events: RotationStepEvent[] = [];
  return { events, onStep: (e) => void events.push(e) };
}

t.test('Function: scramVerifier', async (t) => {
  t.test('gives a verifier PostgreSQL accepts for the password', async (t) => {
    const [role] = await createRoles(1);
    t.teardown(() => dropRoles([role!.user]));
    const password = 'Pw-' + Date.now().toString(36) + '_abc.DEF~123';
    await withAdmin((c) => c.query(`ALTER ROLE ${role!.user} PASSWORD '${scramVerifier(Buffer.from(password))}'`));
    t.ok(await canLogin(role!.user, password), 'logs in with the password');
    t.notOk(await canLogin(role!.user, role!.password), 'the old password no longer works');
    const stored = await withAdmin((c) => c.query(`SELECT rolpassword FROM pg_authid WHERE rolname = '${role!.user}'`));
    t.match((stored as { rows: { rolpassword: string }[] }).rows[0]!.rolpassword, /^SCRAM-SHA-256\$4096:/, 'stored as SCRAM');
  });
  t.test('refuses characters outside printable ASCII', async (t) => {
    t.throws(() => scramVerifier(Buffer.from('pässword')), { code: 'E_CONFIG' });
  });
});

t.test('Function: postgresRotation options', async (t) => {
  t.throws(() => postgresRotation({ strategy: 'other' as 'single-user', admin: adminOptions() }), { code: 'E_CONFIG' });
  t.throws(() => postgresRotation({ strategy: 'alternating-users', admin: adminOptions() }), { code: 'E_CONFIG' }, 'alternating needs two users');
  t.throws(() => postgresRotation({ strategy: 'alternating-users', users: ['a', 'a'], admin: adminOptions() }), { code: 'E_CONFIG' });
  t.throws(() => postgresRotation({ strategy: 'single-user', admin: adminOptions(), passwordLength: 8 }), { code: 'E_CONFIG' });
});

for (const peer of STORES) {
  t.test(`postgres rotation with the secret in ${peer}`, async (t) => {
    const client = await makePeerClient(peer, uniquePrefix(`pg-${peer}`));
    t.teardown(() => client.close());
    const rotator = new SecretRotator({ client });

    t.test('single-user: the role gets the new password; the store and the database agree', async (t) => {
      const [role] = await createRoles(1);
      t.teardown(() => dropRoles([role!.user]));
      const path = 'single/db-credentials';
      await client.put(path, credentials(role!.user, role!.password));
      const { events, onStep } = recorder();
      const result = await rotator.rotate(path, { ...postgresRotation({ strategy: 'single-user', admin: adminOptions() }), gracePeriodMs: 60_000 }, { onStep });
      t.same(events.map((e) => `${e.step}:${e.outcome}`).slice(0, 5), ['generate:ok', 'stage:ok', 'apply:ok', 'verify:ok', 'promote:ok']);
      const now = await current(client, path);
      t.equal(now.username, role!.user, 'same user');
      t.not(now.password, role!.password, 'a new password');
      t.match(now.password, /^[A-Za-z0-9._~-]{32}$/, 'generated under the policy (32 URL-safe characters)');
      t.ok(await canLogin(now.username, now.password), 'the current credential logs in');
      t.notOk(await canLogin(role!.user, role!.password), 'the old password is gone (single user)');
      t.ok(result.version, 'a version');
    });

    t.test('alternating-users: the other role gets the new password, the current one keeps working', async (t) => {
      const [a, b] = await createRoles(2);
      t.teardown(() => dropRoles([a!.user, b!.user]));
      const path = 'alt/db-credentials';
      await client.put(path, credentials(a!.user, a!.password));
      const rotation = postgresRotation({ strategy: 'alternating-users', users: [a!.user, b!.user], admin: adminOptions() });
      await rotator.rotate(path, { ...rotation, gracePeriodMs: 60_000 });
      const first = await current(client, path);
      t.equal(first.username, b!.user, 'switched to the other user');
      t.ok(await canLogin(first.username, first.password), 'the new credential logs in');
      t.ok(await canLogin(a!.user, a!.password), 'the previous credential still works (grace)');
      await rotator.rotate(path, { ...rotation, gracePeriodMs: 60_000 });
      const second = await current(client, path);
      t.equal(second.username, a!.user, 'back to the first user');
      t.ok(await canLogin(second.username, second.password), 'the new credential logs in');
      t.ok(await canLogin(first.username, first.password), 'the previous one still works');
      t.notOk(await canLogin(a!.user, a!.password), 'the credential two rotations back is gone');
    });

    t.test('alternating-users refuses a current user outside the pair, changing nothing', async (t) => {
      const [a, b, c] = await createRoles(3);
      t.teardown(() => dropRoles([a!.user, b!.user, c!.user]));
      const path = 'alt-bad/db-credentials';
      const { version } = await client.put(path, credentials(c!.user, c!.password));
      await t.rejects(rotator.rotate(path, postgresRotation({ strategy: 'alternating-users', users: [a!.user, b!.user], admin: adminOptions() })), { code: 'E_ROTATION', step: 'generate' });
      t.equal((await rotator.inspect(path)).current?.version, version, 'still current');
      t.ok(await canLogin(a!.user, a!.password), 'a untouched');
      t.ok(await canLogin(b!.user, b!.password), 'b untouched');
    });

    for (const strategy of ['single-user', 'alternating-users'] as const) {
      t.test(`${strategy}: a failed verify restores the database and the store`, async (t) => {
        const [a, b] = await createRoles(2);
        t.teardown(() => dropRoles([a!.user, b!.user]));
        const path = `fail-${strategy}/db-credentials`;
        const { version } = await client.put(path, credentials(a!.user, a!.password));
        const rotation = postgresRotation({ strategy, users: [a!.user, b!.user], admin: adminOptions() });
        let candidate: { username: string; password: string } | undefined;
        const { events, onStep } = recorder();
        const error = await rotator
          .rotate(path, { ...rotation, verify: async (c, s) => (await rotation.verify(c, s), (candidate = parseCredentials(Buffer.from(c.view))), false) }, { onStep })
          .catch((e: unknown) => e);
        t.match(error, { code: 'E_ROTATION', step: 'verify' });
        t.match(String((error as Error).message), /restored/, 'the message says the system was restored');
        t.ok(events.some((e) => e.step === 'rollback' && e.reason === 'applier-restored'), 'a rollback event for the system');
        t.ok(candidate, 'the candidate was applied and could log in before the check said no');
        // By value: on Vault the undo writes the current value again as the newest version (a new version id).
        t.same(await current(client, path), { username: a!.user, password: a!.password }, 'the store is on the old credential');
        t.ok(version, 'a seeded version');
        t.ok(await canLogin(a!.user, a!.password), 'the current credential works');
        t.notOk(await canLogin(candidate!.username, candidate!.password), 'the rejected credential does not');
        const text = JSON.stringify(events) + String((error as Error).message) + String((error as Error).stack);
        t.notOk(text.includes(candidate!.password) || text.includes(a!.password), 'no password in events or the error');
      });
    }

    for (const strategy of ['single-user', 'alternating-users'] as const) {
    t.test(`${strategy}: SIGKILL between apply and promote; the next rotation restores, then rotates`, async (t) => {
      const [role, other] = await createRoles(2);
      t.teardown(() => dropRoles([role!.user, other!.user]));
      const prefix = uniquePrefix(`pg-crash-${peer}`);
      const crashClient = await makePeerClient(peer, prefix);
      t.teardown(() => crashClient.close());
      const path = 'crash/db-credentials';
      await crashClient.put(path, credentials(role!.user, role!.password));
      const child = spawnRotateChild({ ROT_PEER: peer, ROT_PREFIX: prefix, ROT_PATH: path, ROT_CRASH_AFTER: 'apply', ROT_PG: strategy, PG_ROLE_A: role!.user, ...(strategy === 'alternating-users' ? { PG_ROLE_B: other!.user } : {}) });
      await child.ready;
      const exit = await child.exited;
      t.equal(exit.signal, 'SIGKILL', `the child died between apply and promote (${child.stderr().slice(-300)})`);
      if (strategy === 'single-user') {
        // The database took the pending password; the store still names the old one as current.
        t.notOk(await canLogin(role!.user, role!.password), 'after the crash the current credential is broken (why recovery matters)');
      } else t.ok(await canLogin(role!.user, role!.password), 'alternating users: the current credential survives the crash');
      const crashRotator = new SecretRotator({ client: crashClient });
      const { events, onStep } = recorder();
      await crashRotator.rotate(path, { ...postgresRotation({ strategy, users: [role!.user, other!.user], admin: adminOptions() }), staleAfterMs: 0 }, { onStep });
      const kinds = events.map((e) => `${e.step}:${e.outcome}${e.reason ? ':' + e.reason : ''}`);
      t.ok(kinds.includes('rollback:ok:stale-pending') && kinds.includes('rollback:ok:applier-restored'), `recovered first (${kinds.join(', ')})`);
      const now = await current(crashClient, path);
      t.ok(await canLogin(now.username, now.password), 'the store and the database agree again');
    });
    }
  });
}
