// Authentication against the real OpenBao peer: token (env and file), AppRole, Kubernetes, token renewal,
// re-login, revoked tokens, and namespaces. The only stand-in is Kubernetes' TokenReview API (there is no
// Kubernetes here): a small HTTP server that OpenBao's real kubernetes auth plugin calls to review our JWT.
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { isSecretsError } from '../../../src/errors/SecretsError';
import { ensurePeer, plantValue, uniquePrefix } from '../../helpers/peers';
import { createToken, lookupToken, makeVaultClient, memoryLogger, vaultApi, vaultOk } from './vaultTestClient';

ensurePeer('vault');

const codeOf = (e: unknown) => (isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`);
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const rand = () => Math.random().toString(36).slice(2, 8);
const dir = mkdtempSync(join(tmpdir(), 'vc-vault-auth-'));
const prefix = uniquePrefix('auth');

/** Every credential the tests hand out, to check that none reaches a message or a log line. */
const credentials: string[] = [];
const { logger, lines } = memoryLogger();
const remember = (s: string) => (credentials.push(s), s);

t.teardown(() => {
  const text = lines.join('');
  for (const c of credentials) if (text.includes(c)) throw new Error('a credential reached the log');
});

t.test('Auth: token', async (t) => {
  t.test('a short-TTL renewable token is renewed before it expires', async (t) => {
    const token = remember(await createToken({ ttl: '3s', explicitMaxTtl: '60s' }));
    const client = await makeVaultClient(prefix, {}, { VAULT_TOKEN: token }, { logger });
    t.teardown(() => client.close());
    await client.put('RENEW', Buffer.from('r'));
    await sleep(5_000);
    const info = await lookupToken(token);
    t.ok(info, 'the token is still alive after 5 s (its TTL was 3 s)');
    t.ok(info?.last_renewal, 'Vault recorded a renewal');
    t.equal((await client.get('RENEW')).value.toString(), 'r');
    t.ok(lines.some((l) => l.includes('vault token renewed')), 'renewal logged');
  });

  t.test('a revoked token is a ProviderAuthError that names no token', async (t) => {
    const token = remember(await createToken());
    const client = await makeVaultClient(prefix, {}, { VAULT_TOKEN: token }, { logger });
    t.teardown(() => client.close());
    await client.put('REVOKED', Buffer.from('x'));
    await vaultOk('POST', '/auth/token/revoke', { token });
    const e = await failureOf(client.get('REVOKED'));
    t.equal(codeOf(e), 'E_PROVIDER_AUTH');
    t.notOk(JSON.stringify({ m: (e as Error).message, e }).includes(token));
    t.equal(codeOf(await failureOf(client.health())), 'E_PROVIDER_AUTH');
  });

  t.test('create() with a revoked or bogus token fails at once with ProviderAuthError', async (t) => {
    const bogus = remember('s.' + 'x'.repeat(24));
    const e = await failureOf(makeVaultClient(prefix, {}, { VAULT_TOKEN: bogus }));
    t.equal(codeOf(e), 'E_PROVIDER_AUTH');
    t.notOk((e as Error).message.includes(bogus));
  });

  t.test('VAULT_TOKEN_FILE: a rewritten file (an agent sink) is picked up after the old token is refused', async (t) => {
    const file = join(dir, 'token');
    const first = remember(await createToken());
    writeFileSync(file, first + '\n');
    const client = await makeVaultClient(prefix, {}, { VAULT_TOKEN_FILE: file }, { logger });
    t.teardown(() => client.close());
    await client.put('TOKFILE', Buffer.from('f'));
    const second = remember(await createToken());
    writeFileSync(file, second + '\n');
    await vaultOk('POST', '/auth/token/revoke', { token: first });
    await sleep(2_100); // refresh is refused within 2 s of the last login (a policy denial is not cured by it)
    t.equal((await client.get('TOKFILE')).value.toString(), 'f');
  });

  t.test('a token in a missing file is a ConfigError naming the file, not a token', async (t) => {
    const e = await failureOf(makeVaultClient(prefix, {}, { VAULT_TOKEN_FILE: join(dir, 'nope') }));
    t.equal(codeOf(e), 'E_CONFIG');
    t.match((e as Error).message, /nope/);
  });
});

t.test('Auth: AppRole', async (t) => {
  const roleId = remember(((await vaultOk('GET', '/auth/approle/role/vc-test/role-id')).data as { role_id: string }).role_id);
  const newSecretId = async () => remember(((await vaultOk('POST', '/auth/approle/role/vc-test/secret-id', {})).data as { secret_id: string }).secret_id);

  t.test('logs in with role_id and secret_id from the environment and reads and writes', async (t) => {
    const client = await makeVaultClient(prefix, { auth: 'approle' }, { VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: await newSecretId() }, { logger });
    t.teardown(() => client.close());
    const value = plantValue();
    await client.put('APPROLE', Buffer.from(value));
    t.equal((await client.get('APPROLE')).value.toString(), value);
    await client.health();
  });

  t.test('reads role_id and secret_id from _FILE variants', async (t) => {
    writeFileSync(join(dir, 'role-id'), roleId);
    writeFileSync(join(dir, 'secret-id'), (await newSecretId()) + '\n');
    const client = await makeVaultClient(prefix, { auth: 'approle' }, { VAULT_ROLE_ID_FILE: join(dir, 'role-id'), VAULT_SECRET_ID_FILE: join(dir, 'secret-id') });
    t.teardown(() => client.close());
    await client.put('APPROLE_FILE', Buffer.from('x'));
  });

  t.test('a wrong secret_id is a ProviderAuthError that names neither id', async (t) => {
    const wrong = remember('00000000-1111-2222-3333-444444444444');
    const e = await failureOf(makeVaultClient(prefix, { auth: 'approle' }, { VAULT_ROLE_ID: roleId, VAULT_SECRET_ID: wrong }));
    t.equal(codeOf(e), 'E_PROVIDER_AUTH');
    const text = JSON.stringify({ m: (e as Error).message, e });
    t.notOk(text.includes(wrong) || text.includes(roleId));
  });

  t.test('logs in again when its token reaches the max TTL, and after its token was revoked', async (t) => {
    const role = `vc-short-${rand()}`;
    await vaultOk('POST', `/auth/approle/role/${role}`, { token_policies: ['vc-test-rw'], token_ttl: '2s', token_max_ttl: '3s' });
    t.teardown(() => vaultApi('DELETE', `/auth/approle/role/${role}`));
    const rid = remember(((await vaultOk('GET', `/auth/approle/role/${role}/role-id`)).data as { role_id: string }).role_id);
    const sid = remember(((await vaultOk('POST', `/auth/approle/role/${role}/secret-id`, {})).data as { secret_id: string }).secret_id);
    const { logger: log, lines: own } = memoryLogger();
    const client = await makeVaultClient(prefix, { auth: 'approle' }, { VAULT_ROLE_ID: rid, VAULT_SECRET_ID: sid }, { logger: log });
    t.teardown(() => client.close());
    await client.put('SHORT', Buffer.from('s'));
    // 6 s is twice the max TTL: without a new login every read after 3 s would be refused.
    for (let i = 0; i < 12; i++) {
      t.equal((await client.get('SHORT')).value.toString(), 's', `read at ${i * 0.5} s`);
      await sleep(500);
    }
    const logins = own.filter((l) => l.includes('vault token acquired')).length;
    t.ok(logins >= 2, `logged in ${logins} times`);
    for (const l of own) t.notOk(l.includes(sid) || l.includes(rid), 'no credential in the log');
  });

  t.test('a revoked login token is replaced by a fresh login on the next call', async (t) => {
    const role = `vc-relogin-${rand()}`;
    await vaultOk('POST', `/auth/approle/role/${role}`, { token_policies: ['vc-test-rw'], token_ttl: '1h' });
    t.teardown(() => vaultApi('DELETE', `/auth/approle/role/${role}`));
    const rid = remember(((await vaultOk('GET', `/auth/approle/role/${role}/role-id`)).data as { role_id: string }).role_id);
    const sid = remember(((await vaultOk('POST', `/auth/approle/role/${role}/secret-id`, {})).data as { secret_id: string }).secret_id);
    const client = await makeVaultClient(prefix, { auth: 'approle' }, { VAULT_ROLE_ID: rid, VAULT_SECRET_ID: sid });
    t.teardown(() => client.close());
    await client.put('RELOGIN', Buffer.from('x'));
    t.ok((await revokeTokens((d) => d.path === 'auth/approle/login' && d.meta?.role_name === role)) >= 1, 'revoked its token');
    await sleep(2_100); // refresh is refused within 2 s of the last login
    t.equal((await client.get('RELOGIN')).value.toString(), 'x');
  });
});

/** Revoke (as root) every token whose lookup data matches; returns how many. */
async function revokeTokens(match: (data: { path?: string; meta?: Record<string, string> | null }) => boolean): Promise<number> {
  const accessors = ((await vaultOk('LIST', '/auth/token/accessors')).data as { keys: string[] }).keys;
  let revoked = 0;
  for (const accessor of accessors) {
    const { json } = await vaultApi('POST', '/auth/token/lookup-accessor', { accessor });
    const data = json?.data as { path?: string; meta?: Record<string, string> | null } | undefined;
    if (data && match(data)) {
      await vaultOk('POST', '/auth/token/revoke-accessor', { accessor });
      revoked++;
    }
  }
  return revoked;
}

t.test('Auth: Kubernetes (real OpenBao plugin, stand-in TokenReview API)', async (t) => {
  const mount = `k8s-${rand()}`;
  const reviews: { authorization: string | undefined; token: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const token = (JSON.parse(body || '{}') as { spec?: { token?: string } }).spec?.token ?? '';
      reviews.push({ authorization: req.headers.authorization, token });
      const ok = req.url === '/apis/authentication.k8s.io/v1/tokenreviews' && token.startsWith('eyJ');
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenReview',
          status: ok
            ? { authenticated: true, user: { username: 'system:serviceaccount:vc-ns:vc-sa', uid: 'uid-1', groups: ['system:serviceaccounts'] } }
            : { authenticated: false, error: 'invalid token' },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  await vaultOk('POST', `/sys/auth/${mount}`, { type: 'kubernetes' });
  t.teardown(() => vaultApi('DELETE', `/sys/auth/${mount}`));
  await vaultOk('POST', `/auth/${mount}/config`, {
    kubernetes_host: `http://127.0.0.1:${port}`,
    // The plugin insists on a CA when it may not read a pod's files; the host is plain http, so it is unused.
    kubernetes_ca_cert: readFileSync(join(__dirname, 'fixtures', 'fake-kubernetes-ca.pem'), 'utf8'),
    disable_local_ca_jwt: true,
  });
  await vaultOk('POST', `/auth/${mount}/role/app`, { bound_service_account_names: ['vc-sa'], bound_service_account_namespaces: ['vc-ns'], token_policies: ['vc-test-rw'], token_ttl: '1h' });

  const jwt = (n: number) => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'kubernetes/serviceaccount',
      sub: 'system:serviceaccount:vc-ns:vc-sa',
      'kubernetes.io/serviceaccount/namespace': 'vc-ns',
      'kubernetes.io/serviceaccount/service-account.name': 'vc-sa',
      'kubernetes.io/serviceaccount/service-account.uid': 'uid-1',
      'kubernetes.io/serviceaccount/secret.name': `vc-sa-token-${n}`,
      iat: now,
      exp: now + 3600,
    };
    return remember([b64({ alg: 'RS256', kid: 'k' }), b64(claims), Buffer.alloc(256, n).toString('base64url')].join('.'));
  };
  const jwtFile = join(dir, 'sa-token');

  t.test('reads the projected token file and logs in with POST auth/<mount>/login {role, jwt}', async (t) => {
    const first = jwt(1);
    writeFileSync(jwtFile, first);
    const client = await makeVaultClient(prefix, { auth: 'kubernetes', role: 'app', authMount: mount }, { VAULT_K8S_TOKEN_FILE: jwtFile }, { logger });
    t.teardown(() => client.close());
    t.equal(reviews.at(-1)?.token, first, 'OpenBao reviewed exactly the JWT from the file');
    const value = plantValue();
    await client.put('K8S', Buffer.from(value));
    t.equal((await client.get('K8S')).value.toString(), value, 'the login token carries the role policy');

    // The kubelet rotates the projected token: the next login reads the file again.
    const second = jwt(2);
    writeFileSync(jwtFile, second);
    t.ok((await revokeTokens((d) => d.path === `auth/${mount}/login`)) >= 1, 'revoked its token');
    await sleep(2_100);
    t.equal((await client.get('K8S')).value.toString(), value);
    t.equal(reviews.at(-1)?.token, second, 'the re-login sent the rotated JWT');
  });

  t.test('a role the token is not bound to is a ProviderAuthError', async (t) => {
    writeFileSync(jwtFile, jwt(3));
    await vaultOk('POST', `/auth/${mount}/role/other`, { bound_service_account_names: ['someone-else'], bound_service_account_namespaces: ['vc-ns'], token_policies: ['vc-test-rw'] });
    const e = await failureOf(makeVaultClient(prefix, { auth: 'kubernetes', role: 'other', authMount: mount }, { VAULT_K8S_TOKEN_FILE: jwtFile }));
    t.equal(codeOf(e), 'E_PROVIDER_AUTH');
  });

  t.test('a missing token file is a ConfigError naming the file', async (t) => {
    const e = await failureOf(makeVaultClient(prefix, { auth: 'kubernetes', role: 'app', authMount: mount }, { VAULT_K8S_TOKEN_FILE: join(dir, 'no-sa-token') }));
    t.equal(codeOf(e), 'E_CONFIG');
    t.match((e as Error).message, /no-sa-token/);
  });
});

t.test('Namespaces: X-Vault-Namespace reaches OpenBao', async (t) => {
  const ns = `vcns${rand()}`;
  await vaultOk('POST', `/sys/namespaces/${ns}`, {});
  t.teardown(async () => {
    await vaultApi('DELETE', '/sys/mounts/secret', undefined, { namespace: ns });
    await vaultApi('DELETE', `/sys/namespaces/${ns}`);
  });
  await vaultOk('POST', '/sys/mounts/secret', { type: 'kv', options: { version: '2' } }, { namespace: ns });
  const client = await makeVaultClient('nsapp', { namespace: ns });
  t.teardown(() => client.close());
  const value = plantValue();
  await client.put('IN_NS', Buffer.from(value));
  t.equal((await client.get('IN_NS')).value.toString(), value);
  const inNs = await vaultApi('GET', '/secret/data/nsapp/IN_NS', undefined, { namespace: ns });
  t.equal(((inNs.json?.data as { data: { value: string } }).data).value, value, 'stored inside the namespace');
  t.equal((await vaultApi('GET', '/secret/data/nsapp/IN_NS')).status, 404, 'not in the root namespace');
  const rootClient = await makeVaultClient('nsapp');
  t.teardown(() => rootClient.close());
  t.equal(codeOf(await failureOf(rootClient.get('IN_NS'))), 'E_NOT_FOUND', 'a client without the namespace does not see it');
});
