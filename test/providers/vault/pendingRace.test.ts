// Concurrent pending writes: the losers of the check-and-set must not lift the pin the winner's pending version
// relies on (that would make an unverified version current).
import t from 'tap';
import { ensurePeer, plantValue, uniquePrefix } from '../../helpers/peers';
import { makeVaultClient } from './vaultTestClient';

t.test('VaultKvClient: racing pending writes never expose a pending version', async (t) => {
  ensurePeer('vault');
  const prefix = uniquePrefix('pending-race');
  const clients = await Promise.all(Array.from({ length: 8 }, () => makeVaultClient(prefix)));
  t.teardown(() => Promise.all(clients.map((c) => c.close())));
  let exposed = 0;
  for (let round = 0; round < 6; round++) {
    const name = `RACE_${round}`;
    const { version: first } = await clients[0]!.put(name, Buffer.from(plantValue()));
    const results = await Promise.allSettled(clients.map((c) => c.put(name, Buffer.from(plantValue()), { pending: true })));
    const won = results.filter((r) => r.status === 'fulfilled').length;
    t.ok(won >= 1, `round ${round}: ${won} pending write(s) won the check-and-set`);
    if ((await clients[0]!.currentVersion(name)) !== first) exposed++;
  }
  t.equal(exposed, 0, 'the current version stays the one before the pending writes');
});
