// Azure-specific behaviour against the real local Key Vault peer (scripts/peers/azure.sh): disabled versions,
// soft delete and purge, version order and state, pending writes, check-and-set, TLS trust, an unreachable vault.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Logger } from 'pino';
import t from 'tap';
import { SecretClient } from '@azure/keyvault-secrets';
import { isSecretsError } from '../../../src/errors/SecretsError';
import type { ProviderClient } from '../../../src/providers/Provider';
import type { AzureKeyVaultClient } from '../../../src/providers/azure/AzureKeyVaultClient';
import { azureProviderFactory } from '../../../src/providers/azure/azureProviderFactory';
import { encodeAzureName } from '../../../src/providers/azure/encodeAzureName';
import { staticTokenCredential } from '../../../src/providers/azure/staticTokenCredential';
import { ensurePeer, PEERS, plantValue, uniquePrefix } from '../../helpers/peers';

ensurePeer('azure');
const env = { ...process.env, AZURE_KEYVAULT_STATIC_TOKEN: PEERS.azure.token };
const ca = encodeURIComponent(PEERS.azure.caFile);

async function makeClient(prefix: string, query = '', logger?: Logger): Promise<AzureKeyVaultClient> {
  const uri = new URL(`azure://127.0.0.1:8443/${prefix}/?credential=static&timeoutMs=5000&retries=2&ca=${ca}${query}`);
  return (await azureProviderFactory.create(azureProviderFactory.parse(uri, env), { env, ...(logger ? { logger } : {}) })) as AzureKeyVaultClient;
}

/** The SDK itself, for looking at what was stored (content type, raw names) and writing foreign secrets. */
const raw = new SecretClient(PEERS.azure.endpoint, staticTokenCredential(PEERS.azure.token), {
  serviceVersion: '7.5',
  disableChallengeResourceVerification: true,
  retryOptions: { maxRetries: 0 },
  tlsOptions: { ca: readFileSync(PEERS.azure.caFile) },
});

const codeOf = (e: unknown) => (isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`);
const retryCounter = () => {
  const retries: number[] = [];
  const logger = { debug: (o: { attempt: number }) => retries.push(o.attempt) } as unknown as Logger;
  return { retries, logger };
};

t.test('Class: AzureKeyVaultClient', async (t) => {
  const prefix = uniquePrefix('azure-specific');
  const client = await makeClient(prefix);
  t.teardown(() => client.close());

  t.test('Method: listVersions', async (t) => {
    t.test('lists versions newest first, also when written in the same second', async (t) => {
      const a = await client.put('ORDERED', Buffer.from(plantValue()));
      const b = await client.put('ORDERED', Buffer.from(plantValue()));
      const c = await client.put('ORDERED', Buffer.from(plantValue()));
      const versions = await client.listVersions('ORDERED');
      t.same(versions.map((v) => v.version), [c.version, b.version, a.version]);
      t.same(versions.map((v) => v.state), ['current', 'previous', 'previous']);
      t.same(versions[0]!.stages, ['latest']);
      t.ok(versions.every((v) => v.createdAt instanceof Date));
    });
    t.test('throws SecretNotFoundError for a secret that does not exist', async (t) => {
      await t.rejects(client.listVersions('NO_SUCH_SECRET'), { code: 'E_NOT_FOUND' });
    });
  });

  t.test('Method: put with pending', async (t) => {
    t.test('writes a version that Azure serves as latest but this library does not read as current', async (t) => {
      const current = plantValue();
      const next = plantValue();
      const v1 = await client.put('ROTATING', Buffer.from(current));
      const v2 = await client.put('ROTATING', Buffer.from(next), { pending: true });
      t.equal((await client.get('ROTATING')).value.toString(), current, 'readers still get the current value');
      t.equal(await client.currentVersion('ROTATING'), v1.version);
      t.equal((await raw.getSecret(encodeAzureName(`${prefix}/ROTATING`))).properties.version, v2.version, 'Azure itself serves the pending version as latest');
      const versions = await client.listVersions('ROTATING');
      t.same(versions.map((v) => [v.version, v.state]), [[v2.version, 'pending'], [v1.version, 'current']]);
      t.same(versions[0]!.stages, ['pending', 'latest']);
      await client.setVersionState('ROTATING', v2.version, undefined);
      t.equal((await client.get('ROTATING')).value.toString(), next, 'promoted by clearing the tag');
      await client.setVersionState('ROTATING', v1.version, 'retired');
      t.same((await client.listVersions('ROTATING')).map((v) => v.state), ['current', 'retired']);
    });
  });

  t.test('Disabled versions', async (t) => {
    t.test('a disabled latest version is skipped; with no enabled version left the secret reads as not found', async (t) => {
      const first = plantValue();
      const second = plantValue();
      const v1 = await client.put('DISABLED', Buffer.from(first));
      const v2 = await client.put('DISABLED', Buffer.from(second));
      await client.delete('DISABLED', { versions: [v2.version] });
      t.equal((await client.get('DISABLED')).value.toString(), first);
      t.equal(await client.currentVersion('DISABLED'), v1.version);
      t.same((await client.listVersions('DISABLED')).map((v) => [v.version, v.state]), [[v2.version, 'disabled'], [v1.version, 'current']]);
      await client.delete('DISABLED', { versions: [v1.version] });
      const err = await client.get('DISABLED').catch((e: unknown) => e);
      t.equal(codeOf(err), 'E_NOT_FOUND');
      t.match((err as Error).message, /disabled/);
      const byVersion = await client.get('DISABLED', { version: v2.version }).catch((e: unknown) => e);
      t.equal(codeOf(byVersion), 'E_NOT_FOUND', 'a disabled version read by id is not usable either');
      t.match((byVersion as Error).message, /disabled/);
      for (const e of [err, byVersion]) t.notOk(JSON.stringify({ m: (e as Error).message, e }).includes(first) || JSON.stringify({ m: (e as Error).message }).includes(second));
    });
    t.test('permanent deletion of single versions is refused before any call', async (t) => {
      await t.rejects(client.delete('DISABLED', { versions: ['0'.repeat(32)], permanent: true }), { code: 'E_UNSUPPORTED' });
    });
  });

  t.test('Soft delete', async (t) => {
    t.test('a soft-deleted name cannot be reused: a clear ConflictError until it is purged', async (t) => {
      const value = plantValue();
      await client.put('SOFT', Buffer.from(value));
      await client.delete('SOFT');
      await t.rejects(client.get('SOFT'), { code: 'E_NOT_FOUND' });
      t.same(await client.list('SOFT'), []);
      const err = await client.put('SOFT', Buffer.from(plantValue())).catch((e: unknown) => e);
      t.equal(codeOf(err), 'E_CONFLICT');
      t.match((err as Error).message, /soft-deleted.*purge/s);
      t.notOk((err as Error).message.includes(value));
      // A permanent delete of the soft-deleted secret purges it; then the name is free again.
      await client.delete('SOFT', { permanent: true });
      const again = plantValue();
      const v = await client.put('SOFT', Buffer.from(again));
      t.equal((await client.get('SOFT')).value.toString(), again);
      t.same((await client.listVersions('SOFT')).map((x) => x.version), [v.version], 'purged versions are gone');
    });
    t.test('a permanent delete purges at once', async (t) => {
      await client.put('PURGED', Buffer.from(plantValue()));
      await client.delete('PURGED', { permanent: true });
      const gone = await raw.getDeletedSecret(encodeAzureName(`${prefix}/PURGED`)).catch((e: { statusCode?: number }) => e);
      t.equal((gone as { statusCode?: number }).statusCode, 404, 'nothing left to recover');
      await client.put('PURGED', Buffer.from(plantValue()));
    });
    t.test('deleting a secret that does not exist throws SecretNotFoundError', async (t) => {
      await t.rejects(client.delete('NEVER_WRITTEN'), { code: 'E_NOT_FOUND' });
      await t.rejects(client.delete('NEVER_WRITTEN', { permanent: true }), { code: 'E_NOT_FOUND' });
    });
  });

  t.test('Names', async (t) => {
    t.test('names differing only in case are different secrets', async (t) => {
      const [x, y, z] = [plantValue(), plantValue(), plantValue()];
      await client.put('case/Ab', Buffer.from(x));
      await client.put('case/aB', Buffer.from(y));
      await client.put('case/AB', Buffer.from(z));
      t.equal((await client.get('case/Ab')).value.toString(), x);
      t.equal((await client.get('case/aB')).value.toString(), y);
      t.equal((await client.get('case/AB')).value.toString(), z);
      t.same(await client.list('case/'), ['case/AB', 'case/Ab', 'case/aB']);
    });
    t.test('list() ignores secrets this library did not write and other prefixes', async (t) => {
      const foreign = `Foreign-${Date.now()}`;
      await raw.setSecret(foreign, 'x');
      await raw.setSecret(`${encodeAzureName(`${prefix}/`)}Odd-Name`, 'x');
      const other = await makeClient(uniquePrefix('azure-other'));
      await other.put('dir/ONLY_HERE', Buffer.from(plantValue(4)));
      t.notOk((await client.list('')).some((n) => n.includes('ONLY_HERE') || n.includes('Foreign')));
      t.same(await other.list(''), ['dir/ONLY_HERE']);
      await other.delete('dir/ONLY_HERE', { permanent: true });
      await raw.beginDeleteSecret(foreign).then((p) => p.pollUntilDone());
      await raw.purgeDeletedSecret(foreign);
    });
    t.test('a name whose encoding exceeds 127 characters is refused before any call', async (t) => {
      await t.rejects(client.get('A_B_C_D_E_F_G_H_I_J_K_L_M_N_O_P_Q_R_S_T_U_V_W_X_Y_Z_A_B_C_D_E_F_G'), { code: 'E_INVALID_NAME', message: /127/ });
    });
  });

  t.test('Values', async (t) => {
    t.test('text is stored as is, binary as base64, each with its content type', async (t) => {
      await client.put('LAYOUT_TEXT', Buffer.from('héllo wörld'));
      await client.put('LAYOUT_BIN', Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x00]));
      const text = await raw.getSecret(encodeAzureName(`${prefix}/LAYOUT_TEXT`));
      t.same([text.value, text.properties.contentType], ['héllo wörld', 'text/plain; charset=utf-8']);
      const bin = await raw.getSecret(encodeAzureName(`${prefix}/LAYOUT_BIN`));
      t.same([bin.value, bin.properties.contentType], ['3q2+7wA=', 'application/octet-stream; base64']);
    });
    t.test('a secret written by another tool reads as UTF-8 text', async (t) => {
      await raw.setSecret(encodeAzureName(`${prefix}/FROM_CLI`), 'set-by-az-cli');
      t.equal((await client.get('FROM_CLI')).value.toString(), 'set-by-az-cli');
    });
    t.test('values over 25,000 stored bytes are refused before any call', async (t) => {
      await t.rejects(client.put('HUGE', Buffer.alloc(25_001, 0x61)), { code: 'E_VALUE_TOO_LARGE' });
      await client.put('MAX_TEXT', Buffer.alloc(25_000, 0x61));
      t.equal((await client.get('MAX_TEXT')).value.length, 25_000);
    });
  });

  t.test('Method: put in parallel', async (t) => {
    t.test('parallel first writes of a new client keep their values (the SDK challenge policy drops bodies otherwise)', async (t) => {
      const fresh = await makeClient(prefix);
      const values = Array.from({ length: 20 }, () => plantValue(6));
      await Promise.all(values.map((v, i) => fresh.put(`PAR_${i}`, Buffer.from(v))));
      const r = await fresh.getMany(values.map((_, i) => `PAR_${i}`));
      t.same(values.map((_, i) => r.found.get(`PAR_${i}`)?.value.toString()), values);
    });
  });

  t.test('Method: put with expectedVersion and token', async (t) => {
    t.test('check-and-set compares the current version first', async (t) => {
      const value = plantValue();
      const a = await client.put('CAS', Buffer.from(value), { expectedVersion: '0' });
      const err = await client.put('CAS', Buffer.from(plantValue()), { expectedVersion: '0' }).catch((e: unknown) => e);
      t.equal(codeOf(err), 'E_CONFLICT');
      t.notOk((err as Error).message.includes(value));
      const b = await client.put('CAS', Buffer.from(plantValue()), { expectedVersion: a.version });
      await t.rejects(client.put('CAS', Buffer.from(plantValue()), { expectedVersion: a.version }), { code: 'E_CONFLICT' });
      t.equal(await client.currentVersion('CAS'), b.version);
    });
    t.test('an idempotency token makes a repeated write a no-op and a reused token a conflict', async (t) => {
      const value = plantValue();
      const token = 'tok-' + plantValue(8);
      const a = await client.put('IDEMPOTENT', Buffer.from(value), { token });
      const b = await client.put('IDEMPOTENT', Buffer.from(value), { token });
      t.equal(b.version, a.version);
      t.equal((await client.listVersions('IDEMPOTENT')).length, 1);
      const err = await client.put('IDEMPOTENT', Buffer.from(plantValue()), { token }).catch((e: unknown) => e);
      t.equal(codeOf(err), 'E_CONFLICT');
      t.notOk((err as Error).message.includes(value));
    });
  });

  t.test('Method: getMany', async (t) => {
    t.test('reports invalid and missing names per name', async (t) => {
      const value = plantValue();
      await client.put('GM_OK', Buffer.from(value));
      const r = await client.getMany(['GM_OK', 'GM_MISSING', 'bad name', 'GM_OK']);
      t.equal(r.found.get('GM_OK')?.value.toString(), value);
      t.equal(codeOf(r.errors.get('GM_MISSING')), 'E_NOT_FOUND');
      t.equal(codeOf(r.errors.get('bad name')), 'E_INVALID_NAME');
      t.equal(r.found.size + r.errors.size, 3);
    });
  });

  t.test('Method: close', async (t) => {
    t.test('later calls fail without reaching the vault', async (t) => {
      const c = await makeClient(prefix);
      await c.close();
      await t.rejects(c.get('GM_OK'), { code: 'E_PROVIDER_UNAVAILABLE', message: /closed/ });
    });
  });
});

t.test('Failure behaviour', async (t) => {
  t.test('a client that does not trust the peer certificate fails with ProviderAuthError, without retrying', async (t) => {
    const { retries, logger } = retryCounter();
    const uri = new URL(`azure://127.0.0.1:8443/${uniquePrefix('azure-tls')}/?credential=static&retries=3&timeoutMs=3000`);
    const c = await azureProviderFactory.create(azureProviderFactory.parse(uri, env), { env, logger });
    const err = await c.get('ANY').catch((e: unknown) => e);
    t.equal(codeOf(err), 'E_PROVIDER_AUTH');
    t.match((err as Error).message, /TLS certificate .* not trusted/);
    t.same(retries, [], 'a TLS failure is not retried');
    await t.rejects(c.health(), { code: 'E_PROVIDER_AUTH' });
  });

  t.test('a vault that is down gives ProviderUnavailableError after bounded retries', async (t) => {
    // withRetry's backoff timer is unref'd: keep this test process alive while it sleeps between attempts.
    const keepAlive = setInterval(() => undefined, 1_000);
    t.teardown(() => clearInterval(keepAlive));
    const port = await freePort();
    const { retries, logger } = retryCounter();
    const uri = new URL(`azure://127.0.0.1:${port}/x/?credential=static&retries=3&timeoutMs=1000&deadlineMs=4000&ca=${ca}`);
    const c = await azureProviderFactory.create(azureProviderFactory.parse(uri, env), { env, logger });
    const started = Date.now();
    const err = await c.get('ANY').catch((e: unknown) => e);
    const elapsed = Date.now() - started;
    t.equal(codeOf(err), 'E_PROVIDER_UNAVAILABLE');
    t.match((err as Error).message, /could not be reached/);
    t.same(retries, [1, 2, 3], 'three retries, then the last error');
    t.ok(elapsed < 4_000, `bounded in time (${elapsed} ms)`);
    await t.rejects(c.health(), { code: 'E_PROVIDER_UNAVAILABLE' });
  });

  t.test('no error message or serialised error carries a value', async (t) => {
    const prefix = uniquePrefix('azure-noleak');
    const c = await makeClient(prefix);
    const value = plantValue();
    const v = await c.put('LEAK', Buffer.from(value));
    const errors: unknown[] = [];
    const collect = (p: Promise<unknown>) => p.then(() => t.fail('expected a failure'), (e: unknown) => errors.push(e));
    await collect(c.put('LEAK', Buffer.from(value + 'x'), { expectedVersion: '0' }));
    await collect(c.get('LEAK', { version: '0'.repeat(32) }));
    await c.delete('LEAK', { versions: [v.version] });
    await collect(c.get('LEAK'));
    await c.delete('LEAK');
    await collect(c.put('LEAK', Buffer.from(value)));
    t.equal(errors.length, 4);
    for (const e of errors) {
      t.ok(isSecretsError(e));
      const text = JSON.stringify({ message: (e as Error).message, json: e, cause: (e as Error).cause, stack: (e as Error).stack });
      t.notOk(text.includes(value), `${(e as Error).name} carries no value`);
      t.notOk(text.includes(PEERS.azure.token), 'nor the token');
    }
  });
});

t.test('getMany of 100 secrets: wall time and HTTP calls', async (t) => {
  const prefix = uniquePrefix('azure-bench');
  const writer = await makeClient(prefix);
  const names = Array.from({ length: 100 }, (_, i) => `BENCH_${i}`);
  for (let i = 0; i < names.length; i += 10) await Promise.all(names.slice(i, i + 10).map((n) => writer.put(n, Buffer.from(plantValue(8)))));
  const reader: ProviderClient = await makeClient(prefix);
  const { subscribe, unsubscribe } = await import('node:diagnostics_channel');
  let calls = 0;
  const onRequest = () => calls++;
  subscribe('http.client.request.start', onRequest);
  const started = process.hrtime.bigint();
  const result = await reader.getMany(names);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  unsubscribe('http.client.request.start', onRequest);
  t.equal(result.found.size, 100);
  t.equal(calls, 101, 'one GET per secret plus the one 401 challenge of a new client');
  t.comment(`getMany(100): ${ms.toFixed(0)} ms wall, ${calls} HTTP calls (concurrency 16)`);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}
