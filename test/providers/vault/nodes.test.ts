// Several addresses in one vault:// URI (node=): the transport moves to the next node when one is unavailable and
// stays on the one that answered. Real sockets: a closed port in front of the shared OpenBao dev server.
import t from 'tap';
import { ProviderUnavailableError } from '../../../src/errors/ProviderUnavailableError';
import { ensurePeer, plantValue, uniquePrefix } from '../../helpers/peers';
import { freePort, makeVaultClient, memoryLogger, ROOT_TOKEN, VAULT_ADDR } from './vaultTestClient';

ensurePeer('vault');
const peer = VAULT_ADDR.replace(/^http:\/\//, '');

t.test('a dead first address: calls go to the next node, once logged, and stay there', async (t) => {
  const dead = await freePort();
  const log = memoryLogger();
  const client = await makeVaultClient(uniquePrefix('nodes'), { node: peer }, { VAULT_TOKEN: ROOT_TOKEN }, { address: `http://127.0.0.1:${dead}`, logger: log.logger });
  t.teardown(() => client.close());
  const value = plantValue();
  const { version } = await client.put('A', Buffer.from(value));
  const got = await client.get('A');
  t.equal(got.version, version);
  t.ok(Buffer.from(got.value).equals(Buffer.from(value)), 'read back through the second node');
  await client.health();
  const moves = log.lines.filter((l) => l.includes('now using another node of the cluster'));
  t.equal(moves.length, 1, 'one move logged (later calls start at the node that answered)');
  t.match(moves[0], new RegExp(`"from":"http://127.0.0.1:${dead}".*"to":"${VAULT_ADDR}"`));
  t.notOk(log.lines.join('').includes(value) || log.lines.join('').includes(ROOT_TOKEN), 'no value or token in the log');
});

t.test('every node unavailable: ProviderUnavailableError after trying each', async (t) => {
  const [a, b] = [await freePort(), await freePort()];
  const error = await makeVaultClient(uniquePrefix('nodes'), { node: `127.0.0.1:${b}`, retries: '0' }, { VAULT_TOKEN: ROOT_TOKEN }, { address: `http://127.0.0.1:${a}` }).then(
    (c) => c.close(),
    (e: unknown) => e,
  );
  t.ok(error instanceof ProviderUnavailableError, 'typed unavailable');
  t.match(String((error as Error).message), `127.0.0.1:${b}`, 'the message names the last node tried');
});
