// Failure behaviour over real sockets on 127.0.0.1: a closed port, a real OpenBao that is stopped or sealed,
// a server that answers junk (HTTP with a non-JSON body, or bytes that are not HTTP), one that never answers,
// and TLS against bao's own -dev-tls server (trusted through ca=, refused without it). No mock of the Vault API.
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import t from 'tap';
import { isSecretsError } from '../../../src/errors/SecretsError';
import { ensurePeer, plantValue, uniquePrefix } from '../../helpers/peers';
import { freePort, makeVaultClient, memoryLogger, ROOT_TOKEN, startPrivateBao, vaultOk } from './vaultTestClient';

ensurePeer('vault');

const codeOf = (e: unknown) => (isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`);
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const prefix = uniquePrefix('fail');

/** A TCP front for the peer on 127.0.0.1: `forward` pipes to OpenBao, `junk` answers with raw bytes, `http-junk`
 * with a 200 whose body is not JSON, `hang` never answers. Switching mode drops open connections. */
async function frontDoor(): Promise<{ address: string; mode: (m: 'forward' | 'junk' | 'http-junk' | 'hang') => void; close: () => Promise<void> }> {
  let mode: 'forward' | 'junk' | 'http-junk' | 'hang' = 'forward';
  const sockets = new Set<Socket>();
  const server: Server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    if (mode === 'forward') {
      const upstream = connect(8200, '127.0.0.1');
      upstream.on('error', () => socket.destroy());
      socket.pipe(upstream).pipe(socket);
      socket.on('close', () => upstream.destroy());
    } else if (mode === 'junk') {
      socket.once('data', () => socket.end('\x00\x01garbage that is not HTTP at all\r\n\r\n'));
    } else if (mode === 'http-junk') {
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 15\r\nConnection: close\r\n\r\n<html>oops</htm'));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    mode: (m) => {
      mode = m;
      for (const s of sockets) s.destroy();
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

t.test('Failures: unreachable', async (t) => {
  t.test('a closed port: ProviderUnavailableError after exactly `retries` retries, quickly', async (t) => {
    const port = await freePort();
    const { logger, lines } = memoryLogger();
    const started = Date.now();
    const e = await failureOf(makeVaultClient(prefix, { retries: '2', timeoutMs: '500' }, { VAULT_TOKEN: ROOT_TOKEN }, { address: `127.0.0.1:${port}`, logger }));
    t.equal(codeOf(e), 'E_PROVIDER_UNAVAILABLE');
    t.match((e as Error).message, /could not reach Vault/);
    t.equal(lines.filter((l) => l.includes('retrying')).length, 2, 'two retries logged');
    t.ok(Date.now() - started < 3_000, `bounded in time (${Date.now() - started} ms)`);
    t.notOk((e as Error).message.includes(ROOT_TOKEN));
  });

  t.test('a real OpenBao that stops: calls fail with ProviderUnavailableError; health too', async (t) => {
    const bao = await startPrivateBao();
    t.teardown(() => bao.stop());
    const client = await makeVaultClient('p', { retries: '1', timeoutMs: '1000' }, { VAULT_TOKEN: bao.token }, { address: bao.address });
    t.teardown(() => client.close());
    await client.put('X', Buffer.from('x'));
    await bao.stop();
    t.equal(codeOf(await failureOf(client.get('X'))), 'E_PROVIDER_UNAVAILABLE');
    t.equal(codeOf(await failureOf(client.health())), 'E_PROVIDER_UNAVAILABLE');
  });

  t.test('a sealed OpenBao: health and reads fail with ProviderUnavailableError', async (t) => {
    const bao = await startPrivateBao();
    t.teardown(() => bao.stop());
    const client = await makeVaultClient('p', { retries: '1', timeoutMs: '1000' }, { VAULT_TOKEN: bao.token }, { address: bao.address });
    t.teardown(() => client.close());
    await client.put('X', Buffer.from('x'));
    await vaultOk('PUT', '/sys/seal', undefined, { address: bao.address, token: bao.token });
    const e = await failureOf(client.health());
    t.equal(codeOf(e), 'E_PROVIDER_UNAVAILABLE');
    t.match((e as Error).message, /sealed/);
    t.equal(codeOf(await failureOf(client.get('X'))), 'E_PROVIDER_UNAVAILABLE', 'a read answers 503');
  });

  t.test('a server that never answers: ProviderUnavailableError within the timeout budget', async (t) => {
    const door = await frontDoor();
    t.teardown(() => door.close());
    const client = await makeVaultClient(prefix, { retries: '1', timeoutMs: '300' }, undefined, { address: door.address.replace('http://', '') });
    t.teardown(() => client.close());
    door.mode('hang');
    await new Promise((r) => setTimeout(r, 50)); // let the pooled keep-alive socket see its close
    const started = Date.now();
    const e = await failureOf(client.get('ANY'));
    t.equal(codeOf(e), 'E_PROVIDER_UNAVAILABLE');
    t.match((e as Error).message, /did not answer within 300 ms/);
    const elapsed = Date.now() - started;
    t.ok(elapsed >= 550 && elapsed < 2_000, `two attempts of 300 ms, bounded (${elapsed} ms)`);
  });
});

t.test('Failures: token upkeep while the server is down', async (t) => {
  t.test('failed renewals and logins are logged, never thrown; close() stops them', async (t) => {
    const bao = await startPrivateBao();
    t.teardown(() => bao.stop());
    const as = { address: bao.address, token: bao.token };
    const token = (await vaultOk('POST', '/auth/token/create', { ttl: '2s', renewable: true, explicit_max_ttl: '1m' }, as)).auth as { client_token: string };
    await vaultOk('POST', '/sys/auth/approle', { type: 'approle' }, as);
    await vaultOk('POST', '/auth/approle/role/r', { token_ttl: '2s', token_max_ttl: '1m' }, as);
    const roleId = ((await vaultOk('GET', '/auth/approle/role/r/role-id', undefined, as)).data as { role_id: string }).role_id;
    const secretId = ((await vaultOk('POST', '/auth/approle/role/r/secret-id', {}, as)).data as { secret_id: string }).secret_id;
    const { logger, lines } = memoryLogger();
    const opts = { address: bao.address.replace('http://', ''), logger };
    const byToken = await makeVaultClient('p', { retries: '0', timeoutMs: '300' }, { VAULT_TOKEN: token.client_token }, opts);
    const byRole = await makeVaultClient('p', { retries: '0', timeoutMs: '300', auth: 'approle' }, { VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: secretId }, opts);
    await bao.stop();
    await new Promise((r) => setTimeout(r, 3_500));
    const failed = lines.filter((l) => l.includes('vault token renewal failed'));
    t.ok(failed.length >= 2, `${failed.length} failed upkeep steps logged`);
    t.ok(failed.every((l) => l.includes('E_PROVIDER_UNAVAILABLE')));
    for (const secret of [token.client_token, secretId, roleId]) t.notOk(lines.join('').includes(secret), 'no credential logged');
    await byToken.close();
    await byRole.close();
    const after = lines.length;
    await new Promise((r) => setTimeout(r, 1_500));
    t.equal(lines.length, after, 'nothing runs after close()');
  });
});

t.test('Failures: junk answers', async (t) => {
  t.test('HTTP 200 with a body that is not JSON: ProviderResponseError, not retried', async (t) => {
    const door = await frontDoor();
    t.teardown(() => door.close());
    const value = plantValue();
    const client = await makeVaultClient(prefix, {}, undefined, { address: door.address.replace('http://', '') });
    t.teardown(() => client.close());
    await client.put('JUNK', Buffer.from(value));
    door.mode('http-junk');
    const e = await failureOf(client.get('JUNK'));
    t.equal(codeOf(e), 'E_PROVIDER_RESPONSE');
    t.notOk((e as Error).message.includes(value));
    t.equal(codeOf(await failureOf(client.health())), 'E_PROVIDER_RESPONSE');
    t.equal(codeOf(await failureOf(client.listVersions('JUNK'))), 'E_PROVIDER_RESPONSE');
    t.equal(codeOf(await failureOf(client.list(''))), 'E_PROVIDER_RESPONSE');
    t.equal(codeOf(await failureOf(client.put('JUNK', Buffer.from('x')))), 'E_PROVIDER_RESPONSE');
  });

  t.test('bytes that are not HTTP: ProviderResponseError', async (t) => {
    const door = await frontDoor();
    t.teardown(() => door.close());
    door.mode('junk');
    const e = await failureOf(makeVaultClient(prefix, { retries: '1' }, undefined, { address: door.address.replace('http://', '') }));
    t.equal(codeOf(e), 'E_PROVIDER_RESPONSE');
    t.match((e as Error).message, /not HTTP/);
  });

  t.test('a web server that is not Vault (HTML 500s, then 404s): Unavailable after retries, then a clear error', async (t) => {
    let status = 500;
    let hits = 0;
    const server = createHttpServer((req, res) => {
      hits++;
      res.writeHead(status, { 'content-type': 'text/html' });
      res.end('<html><body>Bad gateway</body></html>');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const e = await failureOf(makeVaultClient(prefix, { retries: '2' }, undefined, { address: `127.0.0.1:${port}` }));
    t.equal(codeOf(e), 'E_PROVIDER_UNAVAILABLE');
    t.equal(hits, 3, 'first attempt + 2 retries');
    status = 404;
    t.equal(codeOf(await failureOf(makeVaultClient(prefix, {}, undefined, { address: `127.0.0.1:${port}` }))), 'E_NOT_FOUND');
  });
});

t.test('TLS against bao -dev-tls', async (t) => {
  const bao = await startPrivateBao({ tls: true });
  t.teardown(() => bao.stop());
  const address = bao.address.replace('https://', '');

  t.test('trusts the server through ca=<pem file>; verification stays on', async (t) => {
    const client = await makeVaultClient('p', { tls: '1', ca: bao.caFile! }, { VAULT_TOKEN: bao.token }, { address });
    t.teardown(() => client.close());
    const value = plantValue();
    await client.put('TLS', Buffer.from(value));
    t.equal((await client.get('TLS')).value.toString(), value);
  });

  t.test('without ca= the self-signed server is refused with a ConfigError that says to set ca=', async (t) => {
    // node-vault would turn verification off under VAULT_SKIP_VERIFY; the provider must not let it.
    const saved = process.env.VAULT_SKIP_VERIFY;
    process.env.VAULT_SKIP_VERIFY = '1';
    t.teardown(() => {
      if (saved === undefined) delete process.env.VAULT_SKIP_VERIFY;
      else process.env.VAULT_SKIP_VERIFY = saved;
    });
    const e = await failureOf(makeVaultClient('p', { tls: '1' }, { VAULT_TOKEN: bao.token }, { address }));
    t.equal(codeOf(e), 'E_CONFIG');
    t.match((e as Error).message, /ca=/);
  });

  t.test('https against a plain-http server is a ConfigError', async (t) => {
    const e = await failureOf(makeVaultClient('p', { tls: '1' }, undefined, { address: '127.0.0.1:8200' }));
    t.equal(codeOf(e), 'E_CONFIG');
  });
});
