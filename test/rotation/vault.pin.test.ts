// Vault's one metadata race, replayed step by step on the real OpenBao peer: rotation B reads the secret before
// rotation A runs (no pin yet), A pins, stages, promotes; then B pins the version it saw (overwriting A's pin, so
// readers would get the old value) and loses KV's check-and-set. B heals the pin before it reports the conflict,
// and every later reader of the state does the same.
import t from 'tap';
import { ConflictError } from '../../src/errors/ConflictError';
import type { VaultKvClient } from '../../src/providers/vault/VaultKvClient';
import { rotationBackendFor, SecretRotator } from '../../src/rotation';
import { plantValue, uniquePrefix } from '../helpers/peers';
import { makePeerClient } from './fixtures/peerClients';

const io = { beforeWrite: async () => undefined, now: Date.now };

t.test('Vault: a late first pin that overwrote a promotion is healed', async (t) => {
  const client = (await makePeerClient('vault', uniquePrefix('vault-pin'))) as VaultKvClient;
  t.teardown(() => client.close());
  const backend = rotationBackendFor(client);

  t.test('by the losing rotation itself', async (t) => {
    await client.put('HEAL_B', Buffer.from(plantValue()));
    const seenByB = await backend.inspect('HEAL_B'); // no pin yet
    const a = await new SecretRotator({ client }).rotate('HEAL_B');
    t.equal(a.version, '2');
    const error = await backend.stage('HEAL_B', Buffer.from(plantValue()), seenByB, io).catch((e: unknown) => e);
    t.match(error, { code: ConflictError.code });
    const meta = await client.readMetadata('HEAL_B');
    t.equal(meta?.currentPin, 2, "the pin is back on A's version");
    t.equal((await client.currentVersion('HEAL_B')), '2');
  });

  t.test('by the next reader of the state when the loser died before healing', async (t) => {
    await client.put('HEAL_C', Buffer.from(plantValue()));
    const a = await new SecretRotator({ client }).rotate('HEAL_C');
    await client.patchMetadata('HEAL_C', { vc_current_version: '1' }); // B's late first pin, then B crashed
    t.equal(await client.currentVersion('HEAL_C'), '1', 'readers get the old version for now');
    const state = await backend.inspect('HEAL_C');
    t.equal(state.current?.version, a.version, "rotation's view: A's promotion stands");
    t.same(state.pending, [], 'not mistaken for a pending version');
    const next = await new SecretRotator({ client }).rotate('HEAL_C');
    t.equal(next.previousVersion, a.version);
    t.equal(await client.currentVersion('HEAL_C'), next.version);
  });
});
