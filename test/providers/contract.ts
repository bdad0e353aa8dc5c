// The shared provider contract: the same behaviours, run against every backend's real peer.
// Each provider's test file calls runProviderContract with a factory for a fresh client.
import type { Test } from 'tap';
import { isSecretsError } from '../../src/errors/SecretsError';
import type { ProviderClient } from '../../src/providers/Provider';
import { plantValue, uniquePrefix } from '../helpers/peers';

export interface ContractOptions {
  /** Make a client scoped to a fresh, unique prefix. */
  makeClient: (prefix: string) => Promise<ProviderClient>;
  /** Names this backend must refuse before any call. */
  invalidNames: string[];
}

const codeOf = (e: unknown) => (isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`);

export function runProviderContract(t: Test, label: string, options: ContractOptions): void {
  t.test(`Provider contract: ${label}`, async (t) => {
    const client = await options.makeClient(uniquePrefix(label));
    t.teardown(() => client.close());

    await t.test('health() succeeds against a running peer', async () => {
      await client.health();
    });

    await t.test('get() of a missing secret throws SecretNotFoundError', async (t) => {
      await t.rejects(client.get('MISSING_ONE'), { code: 'E_NOT_FOUND' });
    });

    await t.test('put() then get() round-trips bytes and returns the version', async (t) => {
      const value = plantValue();
      const { version } = await client.put('DB_PASSWORD', Buffer.from(value));
      t.type(version, 'string');
      t.ok(version.length > 0);
      const got = await client.get('DB_PASSWORD');
      t.equal(got.value.toString('utf8'), value);
      t.equal(got.version, version);
      t.equal(await client.currentVersion('DB_PASSWORD'), version);
    });

    await t.test('a second put() makes a new current version; the old one stays readable by id', async (t) => {
      const v1 = plantValue();
      const v2 = plantValue();
      const a = await client.put('API_KEY', Buffer.from(v1));
      const b = await client.put('API_KEY', Buffer.from(v2));
      t.not(a.version, b.version);
      t.equal((await client.get('API_KEY')).value.toString(), v2);
      t.equal((await client.get('API_KEY', { version: a.version })).value.toString(), v1);
      const versions = await client.listVersions('API_KEY');
      const ids = versions.map((v) => v.version);
      t.ok(ids.includes(a.version) && ids.includes(b.version), 'both versions listed');
      t.equal(versions.find((v) => v.version === b.version)?.state, 'current');
      for (const v of versions) t.notOk(JSON.stringify(v).includes(v1) || JSON.stringify(v).includes(v2), 'no value in version metadata');
    });

    await t.test('get() of an unknown version throws SecretNotFoundError', async (t) => {
      await client.put('VERSIONED', Buffer.from(plantValue()));
      const bogus = (await client.currentVersion('VERSIONED')).replace(/.$/, (c) => (c === '0' ? '1' : '0'));
      await t.rejects(client.get('VERSIONED', { version: bogus }), { code: 'E_NOT_FOUND' });
    });

    await t.test('getMany() returns found values and per-name errors', async (t) => {
      const values: Record<string, string> = {};
      for (let i = 0; i < 25; i++) {
        values[`MANY_${i}`] = plantValue(8);
        await client.put(`MANY_${i}`, Buffer.from(values[`MANY_${i}`]!));
      }
      const names = [...Object.keys(values), 'MANY_MISSING'];
      const result = await client.getMany(names);
      t.equal(result.found.size, 25);
      for (const [name, v] of Object.entries(values)) t.equal(result.found.get(name)?.value.toString(), v);
      t.equal(codeOf(result.errors.get('MANY_MISSING')), 'E_NOT_FOUND');
    });

    await t.test('binary values survive byte for byte', async (t) => {
      const bytes = Buffer.from([0, 1, 2, 250, 255, 10, 13, 0x80, 0xc3]);
      await client.put('BINARY', bytes);
      t.same([...(await client.get('BINARY')).value], [...bytes]);
    });

    await t.test('list() returns logical names under a prefix', async (t) => {
      await client.put('dir/A', Buffer.from(plantValue(4)));
      await client.put('dir/B', Buffer.from(plantValue(4)));
      const names = (await client.list('dir/')).sort();
      t.same(names, ['dir/A', 'dir/B']);
    });

    await t.test('delete() removes the secret', async (t) => {
      await client.put('TO_DELETE', Buffer.from(plantValue()));
      await client.delete('TO_DELETE', { permanent: true });
      await t.rejects(client.get('TO_DELETE'), { code: 'E_NOT_FOUND' });
    });

    await t.test('invalid names are refused before any call with E_INVALID_NAME', async (t) => {
      for (const name of options.invalidNames) {
        await t.rejects(client.get(name), { code: 'E_INVALID_NAME' }, `get ${JSON.stringify(name)}`);
        await t.rejects(client.put(name, Buffer.from('x')), { code: 'E_INVALID_NAME' }, `put ${JSON.stringify(name)}`);
      }
    });

    await t.test('errors never carry a value', async (t) => {
      const value = plantValue();
      await client.put('NOLEAK', Buffer.from(value));
      try {
        await client.get('NOLEAK', { version: 'not-a-version-0000' });
      } catch (e) {
        t.notOk(JSON.stringify({ m: (e as Error).message, j: e }).includes(value));
      }
    });
  });
}
