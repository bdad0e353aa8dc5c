// URI parsing and name rules of the Vault provider: table-driven, no server needed.
import t from 'tap';
import { isSecretsError } from '../../../src/errors/SecretsError';
import { ProviderRegistry } from '../../../src/providers/ProviderRegistry';
import { parseVaultUri } from '../../../src/providers/vault/parseVaultUri';
import { validateVaultName } from '../../../src/providers/vault/validateVaultName';
import { vaultProviderFactory } from '../../../src/providers/vault/vaultProviderFactory';

const codeOf = (fn: () => unknown) => {
  try {
    fn();
    return 'no error';
  } catch (e) {
    return isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`;
  }
};
const TOKEN_ENV = { VAULT_TOKEN: 't' };

t.test('Function: parseVaultUri', async (t) => {
  t.test('reads address, mount, prefix and defaults', async (t) => {
    const c = parseVaultUri(new URL('vault://vault.internal/secret/team/app'), TOKEN_ENV);
    t.match(c, { scheme: 'vault', address: 'https://vault.internal:8200', mount: 'secret', prefix: 'team/app', auth: 'token', valueKey: 'value', timeoutMs: 5000, retries: 4, concurrency: 16 });
    t.same(c.credentials, { token: { env: 'VAULT_TOKEN' } }, 'where the token is, never the token');
    t.notOk(JSON.stringify(c).includes('"t"'));
    const d = parseVaultUri(new URL('openbao://127.0.0.1:8300/kv/?tls=0&timeoutMs=250&retries=0&concurrency=4&namespace=team/a/&key=secret'), { VAULT_TOKEN_FILE: '/run/token' });
    t.match(d, { scheme: 'openbao', address: 'http://127.0.0.1:8300', mount: 'kv', prefix: '', timeoutMs: 250, retries: 0, concurrency: 4, namespace: 'team/a', valueKey: 'secret' });
    t.same(d.credentials, { token: { file: '/run/token' } });
    t.equal(parseVaultUri(new URL('vault://[::1]:8200/secret?tls=0'), TOKEN_ENV).address, 'http://[::1]:8200');
    t.equal(parseVaultUri(new URL('vault://localhost/secret?tls=false'), TOKEN_ENV).address, 'http://localhost:8200');
  });

  t.test('auth methods locate their credentials', async (t) => {
    const a = parseVaultUri(new URL('vault://v/secret?auth=approle'), { VAULT_ROLE_ID: 'r', VAULT_SECRET_ID_FILE: '/s' });
    t.same(a.credentials, { roleId: { env: 'VAULT_ROLE_ID' }, secretId: { file: '/s' } });
    t.equal(a.authMount, 'approle');
    const k = parseVaultUri(new URL('vault://v/secret?auth=kubernetes&role=app&authMount=/k8s/prod/'), {});
    t.match(k, { role: 'app', authMount: 'k8s/prod', credentials: { jwtFile: '/var/run/secrets/kubernetes.io/serviceaccount/token' } });
    t.equal(parseVaultUri(new URL('vault://v/secret?auth=kubernetes&role=app'), { VAULT_K8S_TOKEN_FILE: '/t' }).credentials.jwtFile, '/t');
  });

  const bad: [string, string, NodeJS.ProcessEnv?][] = [
    ['credentials in the URI', 'vault://user:pass@v/secret'],
    ['a user name alone', 'vault://root@v/secret'],
    ['no mount', 'vault://v/'],
    ['tls=0 on a non-loopback host', 'vault://vault.internal/secret?tls=0'],
    ['tls=0 on a private address', 'vault://10.0.0.5/secret?tls=0'],
    ['ca with tls=0', 'vault://127.0.0.1/secret?tls=0&ca=/x.pem'],
    ['empty ca', 'vault://v/secret?ca='],
    ['tls=yes', 'vault://v/secret?tls=yes'],
    ['unknown parameter', 'vault://v/secret?tsl=0'],
    ['repeated parameter', 'vault://v/secret?retries=1&retries=2'],
    ['unknown auth', 'vault://v/secret?auth=userpass'],
    ['kubernetes without role', 'vault://v/secret?auth=kubernetes'],
    ['role with approle', 'vault://v/secret?auth=approle&role=x', { VAULT_ROLE_ID: 'r' }],
    ['authMount with token', 'vault://v/secret?authMount=x'],
    ['no token', 'vault://v/secret', {}],
    ['both token sources', 'vault://v/secret', { VAULT_TOKEN: 'a', VAULT_TOKEN_FILE: '/b' }],
    ['approle without role id', 'vault://v/secret?auth=approle', { VAULT_SECRET_ID: 's' }],
    ['timeout out of range', 'vault://v/secret?timeoutMs=10'],
    ['retries not a number', 'vault://v/secret?retries=many'],
    ['concurrency zero', 'vault://v/secret?concurrency=0'],
    ['unsafe prefix', 'vault://v/secret/a b'],
    ['a prefix with an empty segment', 'vault://v/secret/a//b'],
    ['encoded prefix', 'vault://v/secret/a%2Fb'],
    ['unsafe namespace', 'vault://v/secret?namespace=a b'],
    ['unsafe auth mount', 'vault://v/secret?auth=approle&authMount=a/../b', { VAULT_ROLE_ID: 'r' }],
    ['bad key', 'vault://v/secret?key=a/b'],
  ];
  for (const [label, uri, env] of bad) {
    t.test(`refuses ${label} with ConfigError`, async (t) => {
      t.equal(codeOf(() => parseVaultUri(new URL(uri), env ?? TOKEN_ENV)), 'E_CONFIG');
    });
  }

  t.test('allowInsecureHttp=1 lets plain http through for a mesh-encrypted network', async (t) => {
    t.equal(parseVaultUri(new URL('vault://vault.vault.svc/secret?tls=0&allowInsecureHttp=1'), TOKEN_ENV).address, 'http://vault.vault.svc:8200');
  });

  t.test('a ConfigError never repeats the URI password', async (t) => {
    try {
      parseVaultUri(new URL('vault://u:hunter2-secret@v/secret'), TOKEN_ENV);
      t.fail('should throw');
    } catch (e) {
      t.notOk((e as Error).message.includes('hunter2'));
    }
  });
});

t.test('Function: validateVaultName', async (t) => {
  for (const ok of ['A', 'db/PASSWORD', 'a.b-c_d/e', '...x', 'x..y']) t.equal(codeOf(() => validateVaultName(ok, 'app')), 'no error', ok);
  for (const bad of ['', '/a', 'a/', 'a//b', '.', '..', 'a/./b', 'a/../b', 'sp ace', 'ü', 'a?b', 'a#b', 'a%2Fb', 'x'.repeat(513)]) {
    t.equal(codeOf(() => validateVaultName(bad, '')), 'E_INVALID_NAME', JSON.stringify(bad.slice(0, 20)));
  }
  t.equal(codeOf(() => validateVaultName('x'.repeat(500), 'p'.repeat(20))), 'E_INVALID_NAME', 'the prefix counts toward the bound');
  t.equal(codeOf(() => validateVaultName(42 as unknown as string)), 'E_INVALID_NAME');
  try {
    validateVaultName('a//b');
  } catch (e) {
    t.match((e as Error).message, /empty segment/, 'the message states the rule');
  }
});

t.test('Factory: vaultProviderFactory', async (t) => {
  t.test('is registered for vault: and openbao: in the built-in registry', async (t) => {
    const registry = ProviderRegistry.withBuiltins();
    const factory = registry.factoryFor(new URL('openbao://127.0.0.1/secret'));
    t.equal(factory, vaultProviderFactory);
    t.same(factory.schemes, ['vault', 'openbao']);
    t.equal(codeOf(() => factory.validateName('bad name', factory.parse(new URL('vault://127.0.0.1/secret?tls=0'), TOKEN_ENV))), 'E_INVALID_NAME');
  });

  t.test('create() refuses an unreadable CA file with a ConfigError naming it', async (t) => {
    const config = vaultProviderFactory.parse(new URL('vault://127.0.0.1/secret?ca=/no/such/ca.pem'), TOKEN_ENV);
    await t.rejects(vaultProviderFactory.create(config, { env: TOKEN_ENV }), { code: 'E_CONFIG', message: /\/no\/such\/ca\.pem/ });
  });
});

t.test('Function: parseVaultUri with node= (the other nodes of a cluster)', async (t) => {
  const c = parseVaultUri(new URL('vault://v1.internal/secret/app?node=v2.internal:8300&node=v3.internal'), TOKEN_ENV);
  t.equal(c.address, 'https://v1.internal:8200', 'the URI host stays the first address');
  t.same(c.addresses, ['https://v1.internal:8200', 'https://v2.internal:8300', 'https://v3.internal:8200'], 'every node, in order, same scheme, default port 8200');
  t.same(parseVaultUri(new URL('vault://127.0.0.1:8210/secret?tls=0&node=127.0.0.1:8220&node=[::1]:8230'), TOKEN_ENV).addresses, [
    'http://127.0.0.1:8210',
    'http://127.0.0.1:8220',
    'http://[::1]:8230',
  ]);
  t.same(parseVaultUri(new URL('vault://v/secret'), TOKEN_ENV).addresses, ['https://v:8200'], 'one address without node=');
  const refused = (uri: string, why: string) => t.equal(codeOf(() => parseVaultUri(new URL(uri), TOKEN_ENV)), 'E_CONFIG', why);
  refused('vault://127.0.0.1/secret?tls=0&node=10.0.0.2:8200', 'tls=0 with a non-loopback node');
  refused('vault://v/secret?node=v', 'a node repeating the URI host');
  refused('vault://v/secret?node=w&node=w:8200', 'a node listed twice');
  refused('vault://v/secret?node=', 'an empty node');
  refused('vault://v/secret?node=http://w', 'a node with a scheme');
  refused('vault://v/secret?node=w/path', 'a node with a path');
  refused('vault://v/secret?node=u:p@w', 'a node with credentials');
  refused('vault://v/secret?node=w:99999', 'a node with a bad port');
  refused(`vault://v/secret?${Array.from({ length: 9 }, (_, i) => `node=w${i}`).join('&')}`, 'more than 9 addresses');
  t.equal(
    codeOf(() => parseVaultUri(new URL('vault://10.0.0.1/secret?tls=0&allowInsecureHttp=1&node=10.0.0.2'), TOKEN_ENV)),
    'no error',
    'allowInsecureHttp=1 covers every node',
  );
  t.equal(codeOf(() => parseVaultUri(new URL('vault://v/secret?tls=0&tls=1'), TOKEN_ENV)), 'E_CONFIG', 'other parameters still may not repeat');
});
