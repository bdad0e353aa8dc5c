// The one error mapping of the Vault provider, case by case. Inputs have the shapes node-vault and axios
// really throw (ApiResponseError with response.statusCode/body; AxiosError with a code); statuses that the
// OpenBao dev peer cannot be made to send (429, 412, 502, 401) are only testable here.
import t from 'tap';
import { mapVaultError } from '../../../src/providers/vault/mapVaultError';

const ctx = { operation: 'get', name: 'DB_PASSWORD', address: 'https://vault:8200', timeoutMs: 500 };
const api = (statusCode: number, body: unknown) => Object.assign(new Error('x'), { response: { statusCode, body } });
const net = (code: string, message = code) => Object.assign(new Error(message), { code, isAxiosError: true, config: { headers: { 'X-Vault-Token': 's.SHOULDNEVERAPPEAR0000000000' }, data: '{"data":{"value":"VALUE-NEVER"}}' } });

t.test('Function: mapVaultError', async (t) => {
  const cases: [string, unknown, string, RegExp?][] = [
    ['404', api(404, { errors: [] }), 'E_NOT_FOUND', /not found/],
    ['404 of a deleted version', api(404, { data: { data: null, metadata: { version: 3, deletion_time: '2026-01-01T00:00:00Z', destroyed: false } } }), 'E_NOT_FOUND', /version 3 is deleted/],
    ['404 of a destroyed version', api(404, { data: { data: null, metadata: { version: 2, deletion_time: '', destroyed: true } } }), 'E_NOT_FOUND', /destroyed/],
    ['401', api(401, { errors: ['missing client token'] }), 'E_PROVIDER_AUTH'],
    ['403', api(403, { errors: ['permission denied'] }), 'E_PROVIDER_AUTH', /permission denied/],
    ['400 CAS mismatch', api(400, { errors: ['check-and-set parameter did not match the current version'] }), 'E_CONFLICT'],
    ['400 CAS required', api(400, { errors: ['check-and-set parameter required for this call'] }), 'E_PROVIDER_RESPONSE', /expectedVersion/],
    ['400 other', api(400, { errors: ['no data provided'] }), 'E_PROVIDER_RESPONSE'],
    ['405', api(405, { errors: [] }), 'E_PROVIDER_RESPONSE'],
    ['412', api(412, { errors: ['required index state not present'] }), 'E_PROVIDER_UNAVAILABLE'],
    ['429', api(429, {}), 'E_PROVIDER_UNAVAILABLE'],
    ['500', api(500, { errors: ['internal error'] }), 'E_PROVIDER_UNAVAILABLE'],
    ['502 with an HTML body', api(502, '<html>bad gateway</html>'), 'E_PROVIDER_UNAVAILABLE'],
    ['503 sealed', api(503, { errors: ['Vault is sealed'] }), 'E_PROVIDER_UNAVAILABLE', /sealed/],
    ['connection refused', net('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'E_PROVIDER_UNAVAILABLE', /could not reach/],
    ['reset', net('ECONNRESET', 'socket hang up'), 'E_PROVIDER_UNAVAILABLE'],
    ['DNS', net('EAI_AGAIN'), 'E_PROVIDER_UNAVAILABLE'],
    ['axios timeout', net('ECONNABORTED', 'timeout of 500ms exceeded'), 'E_PROVIDER_UNAVAILABLE', /within 500 ms/],
    ['not HTTP', net('HPE_INVALID_CONSTANT', 'Parse Error: Expected HTTP/'), 'E_PROVIDER_RESPONSE', /not HTTP/],
    ['self-signed', net('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 'E_CONFIG', /ca=/],
    ['wrong host name', net('ERR_TLS_CERT_ALTNAME_INVALID'), 'E_CONFIG'],
    ['something else', new TypeError('boom'), 'E_PROVIDER_RESPONSE'],
  ];
  for (const [label, error, code, message] of cases) {
    t.test(`${label} -> ${code}`, async (t) => {
      const e = mapVaultError(error, ctx);
      t.equal(e.code, code);
      t.match(e.message, /DB_PASSWORD/, 'names the secret');
      if (message) t.match(e.message, message);
      const all = JSON.stringify({ m: e.message, e, cause: String(e.cause), c: e.cause });
      t.notOk(all.includes('SHOULDNEVERAPPEAR') || all.includes('VALUE-NEVER'), 'no token or value from the request config');
    });
  }

  t.test('a login refused with 400 (bad AppRole secret id) is an auth failure', async (t) => {
    t.equal(mapVaultError(api(400, { errors: ['invalid role or secret ID'] }), { ...ctx, operation: 'approle login' }).code, 'E_PROVIDER_AUTH');
  });

  t.test('a server that echoes the value or a token gets it cut out', async (t) => {
    const e = mapVaultError(api(400, { errors: ['bad input near "hunter2-very-secret" with token=s.abcdefghijklmnopqrstuvwx'] }), { ...ctx, operation: 'put', redact: ['hunter2-very-secret'] });
    t.notOk(e.message.includes('hunter2-very-secret'));
    t.notOk(e.message.includes('s.abcdefghijklmnopqrstuvwx'));
  });

  t.test('SecretsErrors pass through unchanged', async (t) => {
    const first = mapVaultError(api(404, {}), ctx);
    t.equal(mapVaultError(first, ctx), first);
  });
});
