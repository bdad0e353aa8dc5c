// Pure tests of the Azure name and value layouts, the URI parser and the error mapping (no peer needed).
import fc from 'fast-check';
import t from 'tap';
import { azureProviderFactory } from '../../../src/providers/azure/azureProviderFactory';
import { azureSecretName } from '../../../src/providers/azure/azureSecretName';
import { decodeAzureName } from '../../../src/providers/azure/decodeAzureName';
import { decodeAzureValue } from '../../../src/providers/azure/decodeAzureValue';
import { encodeAzureName } from '../../../src/providers/azure/encodeAzureName';
import { BINARY_CONTENT_TYPE, encodeAzureValue, TEXT_CONTENT_TYPE } from '../../../src/providers/azure/encodeAzureValue';
import { isLogicalName } from '../../../src/providers/azure/isLogicalName';
import { mapAzureError } from '../../../src/providers/azure/mapAzureError';

const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((s) => s !== '.' && s !== '..');
const logicalName = fc.array(segment, { minLength: 1, maxLength: 5 }).map((s) => s.join('/'));

t.test('Function: encodeAzureName', async (t) => {
  t.test('encodes the documented examples', async (t) => {
    const table: [string, string][] = [
      ['db', 'db'],
      ['DB_PASSWORD', '-3db-0password'],
      ['MyName', '-my-name'],
      ['dir/A', 'dir---a'],
      ['a-b.c_d', 'a-2b-1c-0d'],
      ['app/prod/DB_PASSWORD', 'app--prod---3db-0password'],
      ['X1', '-x1'],
      ['ABc', '-3ab-c'], ['ABcd', '-3ab-3cd'],
      ['v2', 'v2'],
    ];
    for (const [logical, azure] of table) {
      t.equal(encodeAzureName(logical), azure, logical);
      t.equal(decodeAzureName(azure), logical, `decode ${azure}`);
    }
  });

  t.test('round-trips every logical name (decode is a left inverse, so encode is injective)', async () => {
    fc.assert(fc.property(logicalName, (name) => decodeAzureName(encodeAzureName(name)) === name), { numRuns: 2000 });
  });

  t.test('writes only lowercase [0-9a-z-], so Azure case folding cannot merge two names', async () => {
    fc.assert(fc.property(logicalName, (name) => /^[0-9a-z-]+$/.test(encodeAzureName(name))), { numRuns: 2000 });
  });

  t.test('maps distinct names to distinct Azure names, also case-insensitively', async () => {
    fc.assert(
      fc.property(logicalName, logicalName, (a, b) => a === b || encodeAzureName(a).toLowerCase() !== encodeAzureName(b).toLowerCase()),
      { numRuns: 5000 },
    );
    // Names differing only in case are the interesting pairs: generate them directly.
    fc.assert(
      fc.property(logicalName, fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }), (name, flips) => {
        const other = [...name].map((c, i) => (flips[i % flips.length] ? (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase()) : c)).join('');
        return other === name || encodeAzureName(other) !== encodeAzureName(name);
      }),
      { numRuns: 3000 },
    );
  });

  t.test('keeps case collisions apart: Ab, aB, AB, ab', async (t) => {
    const encoded = ['Ab', 'aB', 'AB', 'ab'].map(encodeAzureName);
    t.equal(new Set(encoded.map((e) => e.toLowerCase())).size, 4, encoded.join(' '));
  });
});

t.test('Function: decodeAzureName', async (t) => {
  t.test('returns undefined for names this library did not write', async (t) => {
    for (const foreign of ['Foo', 'foo_bar', '-', 'a-', '-9', '-3-3a', '-3', '', 'a--', '--a', '-3a-3', 'a---1-1']) {
      t.equal(decodeAzureName(foreign), undefined, foreign);
    }
    t.equal(decodeAzureName('-3-3a'), undefined, 'a redundant mode switch is not canonical');
    t.equal(decodeAzureName('-3a'), undefined, 'a lone uppercase letter is spelled -a, not -3a');
    t.equal(decodeAzureName('Foo'), undefined, 'uppercase is never written');
    t.equal(decodeAzureName('a--'), undefined, 'an empty segment is not a logical name');
  });
});

t.test('Function: azureSecretName', async (t) => {
  t.test('accepts a name whose encoding is exactly 127 characters and refuses 128', async (t) => {
    t.equal(azureSecretName('', 'a'.repeat(127)).length, 127);
    t.throws(() => azureSecretName('', 'a'.repeat(128)), { code: 'E_INVALID_NAME' });
    t.equal(azureSecretName('p/', 'a'.repeat(124)).length, 127);
    t.throws(() => azureSecretName('p/', 'a'.repeat(125)), { code: 'E_INVALID_NAME' });
    // 64 underscores encode to 128 characters: a 65-character logical name can be too long.
    t.throws(() => azureSecretName('', 'x' + '_'.repeat(64)), { code: 'E_INVALID_NAME', message: /127/ });
  });
  t.test('refuses names outside the logical alphabet', async (t) => {
    for (const bad of ['', 'a//b', '/a', 'a/', 'a b', 'é', '.', '..', 'a/../b', 'a:b']) {
      t.throws(() => azureSecretName('', bad), { code: 'E_INVALID_NAME' }, JSON.stringify(bad));
      t.notOk(isLogicalName(bad));
    }
  });
});

t.test('Functions: encodeAzureValue / decodeAzureValue', async (t) => {
  t.test('stores UTF-8 text as is and other bytes as base64', async (t) => {
    const text = encodeAzureValue('A', Buffer.from('pässwörd\n\ttab'));
    t.same(text, { value: 'pässwörd\n\ttab', contentType: TEXT_CONTENT_TYPE });
    const bin = encodeAzureValue('A', Buffer.from([0xff, 0x00, 0x41]));
    t.same(bin, { value: Buffer.from([0xff, 0x00, 0x41]).toString('base64'), contentType: BINARY_CONTENT_TYPE });
    const nul = encodeAzureValue('A', Buffer.from('a\u0000b'));
    t.equal(nul.contentType, BINARY_CONTENT_TYPE, 'control characters go as base64');
    t.equal(encodeAzureValue('A', Buffer.from('\ufeffbom')).value, '\ufeffbom', 'a BOM is kept');
  });
  t.test('round-trips any bytes', async () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const { value, contentType } = encodeAzureValue('A', bytes);
        return decodeAzureValue('A', value, contentType).equals(Buffer.from(bytes));
      }),
      { numRuns: 1000 },
    );
  });
  t.test('limits the stored form to 25,000 bytes (text 25,000, binary 18,750)', async (t) => {
    t.equal(encodeAzureValue('A', Buffer.alloc(25_000, 0x61)).value.length, 25_000);
    t.throws(() => encodeAzureValue('BIG', Buffer.alloc(25_001, 0x61)), { code: 'E_VALUE_TOO_LARGE', message: /"BIG"/ });
    t.equal(encodeAzureValue('A', Buffer.alloc(18_750, 0xff)).value.length, 25_000);
    t.throws(() => encodeAzureValue('A', Buffer.alloc(18_751, 0xff)), { code: 'E_VALUE_TOO_LARGE' });
  });
  t.test('reads values of other tools as UTF-8 and refuses malformed base64 without echoing it', async (t) => {
    t.same(decodeAzureValue('A', 'plain', undefined), Buffer.from('plain'));
    t.same(decodeAzureValue('A', 'plain', 'application/json'), Buffer.from('plain'));
    t.same(decodeAzureValue('A', 'AAE=', 'Application/Octet-Stream;base64'), Buffer.from([0, 1]));
    const err = t.throws(() => decodeAzureValue('A', 'PLANT-not-base64!', BINARY_CONTENT_TYPE), { code: 'E_PROVIDER_RESPONSE' }) as Error;
    t.notMatch(err.message, /PLANT/);
  });
});

t.test('Function: mapAzureError', async (t) => {
  const ctx = { op: 'get', name: 'DB_PASSWORD', vault: 'https://kv.vault.azure.net' };
  const rest = (statusCode: number, code: string, inner?: string, message = 'service said no') =>
    Object.assign(new Error(message), { name: 'RestError', statusCode, code, details: { error: { code, message, ...(inner ? { innerError: { code: inner } } : {}) } } });
  const cases: [string, unknown, string][] = [
    ['404 SecretNotFound', rest(404, 'SecretNotFound'), 'E_NOT_FOUND'],
    ['403 SecretDisabled', rest(403, 'Forbidden', 'SecretDisabled', 'Operation get is not allowed on a disabled secret.'), 'E_NOT_FOUND'],
    ['403 Forbidden', rest(403, 'Forbidden', 'AccessDenied'), 'E_PROVIDER_AUTH'],
    ['401 Unauthorized', rest(401, 'Unauthorized'), 'E_PROVIDER_AUTH'],
    ['409 Conflict', rest(409, 'Conflict', 'ObjectIsDeletedButRecoverable'), 'E_CONFLICT'],
    ['429 Throttled', rest(429, 'Throttled'), 'E_PROVIDER_UNAVAILABLE'],
    ['503', rest(503, 'ServiceUnavailable'), 'E_PROVIDER_UNAVAILABLE'],
    ['500', rest(500, 'InternalServerError'), 'E_PROVIDER_UNAVAILABLE'],
    ['408', rest(408, 'RequestTimeout'), 'E_PROVIDER_UNAVAILABLE'],
    ['400 BadParameter', rest(400, 'BadParameter'), 'E_PROVIDER_RESPONSE'],
    ['ECONNREFUSED', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { name: 'RestError', code: 'ECONNREFUSED' }), 'E_PROVIDER_UNAVAILABLE'],
    ['ENOTFOUND', Object.assign(new Error('getaddrinfo ENOTFOUND kv'), { name: 'RestError', code: 'ENOTFOUND' }), 'E_PROVIDER_UNAVAILABLE'],
    ['self-signed', Object.assign(new Error('self-signed certificate in certificate chain'), { name: 'RestError', code: 'SELF_SIGNED_CERT_IN_CHAIN' }), 'E_PROVIDER_AUTH'],
    ['wrong host cert', Object.assign(new Error("Hostname/IP does not match certificate's altnames"), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }), 'E_PROVIDER_AUTH'],
    ['no credential', Object.assign(new Error('DefaultAzureCredential failed to retrieve a token'), { name: 'AggregateAuthenticationError' }), 'E_PROVIDER_AUTH'],
    ['credential unavailable', Object.assign(new Error('ManagedIdentityCredential: unavailable'), { name: 'CredentialUnavailableError' }), 'E_PROVIDER_AUTH'],
    ['abort', Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }), 'E_PROVIDER_UNAVAILABLE'],
    ['foreign challenge', new Error("The challenge resource 'example.com' does not match the requested domain."), 'E_CONFIG'],
    ['unknown', new Error('what'), 'E_PROVIDER_RESPONSE'],
  ];
  for (const [label, error, code] of cases) {
    t.test(`maps ${label} to ${code}`, async (t) => {
      const mapped = mapAzureError(error, ctx);
      t.equal(mapped.code, code);
      t.match(mapped.message, /DB_PASSWORD|kv\.vault\.azure\.net/);
      t.notOk(mapped.cause instanceof Error, 'the cause is a plain summary, not the SDK error with its request');
    });
  }
  t.test('sanitises tokens out of the SDK text', async (t) => {
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl';
    const mapped = mapAzureError(rest(401, 'Unauthorized', undefined, `token rejected: Bearer ${jwt}`), ctx);
    t.notMatch(mapped.message, /eyJ/);
  });
});

t.test('Factory: azureProviderFactory.parse', async (t) => {
  const env = { AZURE_KEYVAULT_STATIC_TOKEN: 'tok' };
  t.test('reads host, prefix and defaults', async (t) => {
    const c = azureProviderFactory.parse(new URL('azure://MyVault.vault.azure.net/app/prod'), {});
    t.match(c, { vaultUrl: 'https://myvault.vault.azure.net', prefix: 'app/prod/', isLoopback: false, serviceVersion: '7.5', credential: 'default', retries: 4, timeoutMs: 5000, concurrency: 16 });
    t.equal(azureProviderFactory.parse(new URL('azure://kv.vault.azure.net'), {}).prefix, '');
    const local = azureProviderFactory.parse(new URL('azure://127.0.0.1:8443/a/?credential=static&serviceVersion=7.6&retries=0&ca=x.pem'), env);
    t.match(local, { vaultUrl: 'https://127.0.0.1:8443', isLoopback: true, credential: 'static', serviceVersion: '7.6', retries: 0 });
    t.match(local.caFile, /\/x\.pem$/);
  });
  t.test('refuses credentials in the URI without echoing them', async (t) => {
    const err = t.throws(() => azureProviderFactory.parse(new URL('azure://user:PLANTpassword@kv.vault.azure.net/app/'), {}), { code: 'E_CONFIG' }) as Error;
    t.notMatch(err.message, /PLANT/);
  });
  t.test('allows the static token only for loopback, outside production, with the variable set', async (t) => {
    t.throws(() => azureProviderFactory.parse(new URL('azure://kv.vault.azure.net/?credential=static'), env), { code: 'E_CONFIG', message: /loopback/ });
    t.throws(() => azureProviderFactory.parse(new URL('azure://127.0.0.1/?credential=static'), { ...env, NODE_ENV: 'production' }), { code: 'E_CONFIG' });
    t.throws(() => azureProviderFactory.parse(new URL('azure://localhost/?credential=static'), {}), { code: 'E_CONFIG', message: /AZURE_KEYVAULT_STATIC_TOKEN/ });
    t.ok(azureProviderFactory.parse(new URL('azure://default.localhost:8443/?credential=static'), env).isLoopback);
  });
  t.test('refuses unknown parameters, bad numbers, bad versions and bad prefixes', async (t) => {
    for (const uri of [
      'azure://kv.vault.azure.net/?tls=0',
      'azure://kv.vault.azure.net/?retries=-1',
      'azure://kv.vault.azure.net/?timeoutMs=abc',
      'azure://kv.vault.azure.net/?serviceVersion=7.0',
      'azure://kv.vault.azure.net/a b/',
      'azure://kv.vault.azure.net/a//b/',
      'azure://kv.vault.azure.net/?credential=password',
      `azure://kv.vault.azure.net/${'a'.repeat(121)}/`,
    ]) {
      t.throws(() => azureProviderFactory.parse(new URL(uri), {}), { code: 'E_CONFIG' }, uri);
    }
  });
  t.test('validateName applies the prefix and the 127 limit', async (t) => {
    const c = azureProviderFactory.parse(new URL('azure://kv.vault.azure.net/p/'), {});
    t.doesNotThrow(() => azureProviderFactory.validateName('a'.repeat(124), c));
    t.throws(() => azureProviderFactory.validateName('a'.repeat(125), c), { code: 'E_INVALID_NAME' });
  });
  t.test('create() refuses an unreadable ca file', async (t) => {
    const c = azureProviderFactory.parse(new URL('azure://127.0.0.1:1/?credential=static&ca=/nonexistent/ca.pem'), env);
    await t.rejects(azureProviderFactory.create(c, { env }), { code: 'E_CONFIG' });
  });
});
