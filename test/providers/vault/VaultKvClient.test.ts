// Vault-specific behaviour of the KV v2 client against the real OpenBao peer: check-and-set, deleted and
// destroyed versions, version states and the pending pin, the stored layout, list and delete modes.
import t from 'tap';
import { isSecretsError } from '../../../src/errors/SecretsError';
import { ensurePeer, plantValue, uniquePrefix } from '../../helpers/peers';
import { makeVaultClient, vaultApi, vaultOk } from './vaultTestClient';

ensurePeer('vault');

const codeOf = (e: unknown) => (isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`);
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

t.test('Class: VaultKvClient', async (t) => {
  const prefix = uniquePrefix('kv');
  const client = await makeVaultClient(prefix);
  t.teardown(() => client.close());
  /** What the peer itself holds at our path (read as root, bypassing the client). */
  const raw = async (name: string, version?: number) => vaultApi('GET', `/secret/data/${prefix}/${name}${version ? `?version=${version}` : ''}`);
  const rawMeta = async (name: string) => (await vaultOk('GET', `/secret/metadata/${prefix}/${name}`)).data as Record<string, unknown>;

  t.test('Method: put', async (t) => {
    t.test('stores UTF-8 text under "value" and binary under "value_b64"', async (t) => {
      const text = plantValue();
      await client.put('LAYOUT_TEXT', Buffer.from(text));
      t.same(((await raw('LAYOUT_TEXT')).json?.data as { data: unknown }).data, { value: text });
      await client.put('LAYOUT_BIN', Buffer.from([0xff, 0x00, 0xfe]));
      t.same(((await raw('LAYOUT_BIN')).json?.data as { data: unknown }).data, { value_b64: '/wD+' });
      const bom = Buffer.from([0xef, 0xbb, 0xbf, 0x41]);
      await client.put('LAYOUT_BOM', bom);
      t.same([...(await client.get('LAYOUT_BOM')).value], [...bom], 'a BOM is kept byte for byte');
    });

    t.test('expectedVersion "0" creates only: a second create is a ConflictError', async (t) => {
      const { version } = await client.put('CAS_CREATE', Buffer.from(plantValue()), { expectedVersion: '0' });
      t.equal(version, '1');
      const value = plantValue();
      const e = await failureOf(client.put('CAS_CREATE', Buffer.from(value), { expectedVersion: '0' }));
      t.equal(codeOf(e), 'E_CONFLICT');
      t.notOk(JSON.stringify({ m: (e as Error).message, e }).includes(value), 'no value in the error');
    });

    t.test('expectedVersion is KV check-and-set: a stale version is a ConflictError, the right one writes', async (t) => {
      const a = await client.put('CAS', Buffer.from('one'));
      const b = await client.put('CAS', Buffer.from('two'), { expectedVersion: a.version });
      t.equal(b.version, '2');
      t.equal(codeOf(await failureOf(client.put('CAS', Buffer.from('three'), { expectedVersion: a.version }))), 'E_CONFLICT');
      t.equal(codeOf(await failureOf(client.put('CAS', Buffer.from('three'), { expectedVersion: 'abc' }))), 'E_CONFLICT');
      t.equal((await client.get('CAS')).value.toString(), 'two');
    });

    t.test('a secret with cas_required: a write without expectedVersion says to pass one; with it, it writes', async (t) => {
      await vaultOk('POST', `/secret/metadata/${prefix}/CASREQ`, { cas_required: true });
      const e = await failureOf(client.put('CASREQ', Buffer.from('a')));
      t.equal(codeOf(e), 'E_PROVIDER_RESPONSE');
      t.match((e as Error).message, /expectedVersion/);
      t.equal((await client.put('CASREQ', Buffer.from('a'), { expectedVersion: '0' })).version, '1');
    });

    t.test('a value over the bound is refused before any call', async (t) => {
      t.equal(codeOf(await failureOf(client.put('BIG', Buffer.alloc(400 * 1024)))), 'E_VALUE_TOO_LARGE');
      t.equal((await raw('BIG')).status, 404);
    });
  });

  t.test('Method: get', async (t) => {
    t.test('returns createdAt from the version metadata and the KV version as a string', async (t) => {
      const before = Date.now() - 5_000;
      await client.put('META', Buffer.from('x'));
      const got = await client.get('META');
      t.equal(got.version, '1');
      t.ok(got.createdAt && got.createdAt.getTime() >= before, 'createdAt set');
      t.same(got.stages, []);
    });

    t.test('a soft-deleted version reads as SecretNotFoundError saying it is deleted', async (t) => {
      await client.put('SOFT', Buffer.from('v1'));
      await client.put('SOFT', Buffer.from('v2'));
      await client.delete('SOFT', { versions: ['1'] });
      const e = await failureOf(client.get('SOFT', { version: '1' }));
      t.equal(codeOf(e), 'E_NOT_FOUND');
      t.match((e as Error).message, /deleted/);
      t.equal((await client.get('SOFT')).value.toString(), 'v2', 'the current version is unaffected');
      t.equal((await client.listVersions('SOFT')).find((v) => v.version === '1')?.state, 'deleted');
    });

    t.test('a destroyed version reads as SecretNotFoundError saying it was destroyed', async (t) => {
      await client.put('DESTROY', Buffer.from('v1'));
      await client.put('DESTROY', Buffer.from('v2'));
      await client.delete('DESTROY', { versions: ['1'], permanent: true });
      const e = await failureOf(client.get('DESTROY', { version: '1' }));
      t.equal(codeOf(e), 'E_NOT_FOUND');
      t.match((e as Error).message, /destroyed/);
      const v1 = (await client.listVersions('DESTROY')).find((v) => v.version === '1');
      t.equal(v1?.state, 'deleted');
      t.same(v1?.stages, ['destroyed']);
      t.equal(((await rawMeta('DESTROY')).versions as Record<string, { destroyed: boolean }>)['1']?.destroyed, true, 'the peer marked it destroyed');
    });

    t.test('versions that are not positive integers name nothing: SecretNotFoundError without a call', async (t) => {
      await client.put('BADVER', Buffer.from('x'));
      for (const v of ['0', '-1', '1.5', 'abc', '', ' 1', '99999999999999999999']) {
        t.equal(codeOf(await failureOf(client.get('BADVER', { version: v }))), 'E_NOT_FOUND', JSON.stringify(v));
      }
      t.equal(codeOf(await failureOf(client.get('BADVER', { version: '7' }))), 'E_NOT_FOUND', 'a version that does not exist yet');
    });

    t.test('data written by others in another layout is a ProviderResponseError naming keys, not values', async (t) => {
      const value = plantValue();
      await vaultOk('POST', `/secret/data/${prefix}/FOREIGN`, { data: { username: 'u', password: value } });
      const e = await failureOf(client.get('FOREIGN'));
      t.equal(codeOf(e), 'E_PROVIDER_RESPONSE');
      t.match((e as Error).message, /"password"/);
      t.notOk((e as Error).message.includes(value));
      const byKey = await makeVaultClient(prefix, { key: 'password' });
      t.teardown(() => byKey.close());
      t.equal((await byKey.get('FOREIGN')).value.toString(), value, 'key= reads another data key');
    });
  });

  t.test('Method: listVersions and the pending pin', async (t) => {
    t.test('states: current, previous, retired, deleted; newest first; no values', async (t) => {
      for (const v of ['a', 'b', 'c', 'd']) await client.put('STATES', Buffer.from(v));
      await client.delete('STATES', { versions: ['2'] });
      const versions = await client.listVersions('STATES');
      t.same(
        versions.map((v) => [v.version, v.state]),
        [
          ['4', 'current'],
          ['3', 'previous'],
          ['2', 'deleted'],
          ['1', 'retired'],
        ],
      );
      t.ok(versions.every((v) => v.createdAt instanceof Date));
    });

    t.test('put(pending) writes above a pinned current version; get() keeps returning current', async (t) => {
      await client.put('ROTATE', Buffer.from('old'));
      const { version } = await client.put('ROTATE', Buffer.from('new'), { pending: true });
      t.equal(version, '2');
      t.equal((await client.get('ROTATE')).value.toString(), 'old');
      t.equal(await client.currentVersion('ROTATE'), '1');
      const pending = await client.get('ROTATE', { version });
      t.equal(pending.value.toString(), 'new');
      t.same(pending.stages, ['vc_pending']);
      t.same(
        (await client.listVersions('ROTATE')).map((v) => [v.version, v.state]),
        [
          ['2', 'pending'],
          ['1', 'current'],
        ],
      );
      t.same(((await rawMeta('ROTATE')).custom_metadata as Record<string, string>).vc_current_version, '1', 'the pin as stored');
      // promote: the pending version becomes current, the pin is lifted
      await client.promote('ROTATE', version);
      t.equal((await client.get('ROTATE')).value.toString(), 'new');
      t.equal((await rawMeta('ROTATE')).custom_metadata, null);
      t.same(
        (await client.listVersions('ROTATE')).map((v) => [v.version, v.state]),
        [
          ['2', 'current'],
          ['1', 'previous'],
        ],
      );
    });

    t.test('a pending write to a new secret leaves nothing current until promoted', async (t) => {
      const { version } = await client.put('FRESH_PENDING', Buffer.from('p'), { pending: true });
      t.equal(version, '1');
      t.equal(codeOf(await failureOf(client.get('FRESH_PENDING'))), 'E_NOT_FOUND');
      t.equal(codeOf(await failureOf(client.currentVersion('FRESH_PENDING'))), 'E_NOT_FOUND');
      await client.promote('FRESH_PENDING', version);
      t.equal((await client.get('FRESH_PENDING')).value.toString(), 'p');
    });

    t.test('a discarded pending version (soft-deleted) leaves the pinned version current; a new pending supersedes', async (t) => {
      await client.put('DISCARD', Buffer.from('live'));
      const first = await client.put('DISCARD', Buffer.from('bad'), { pending: true });
      await client.delete('DISCARD', { versions: [first.version] });
      t.equal((await client.get('DISCARD')).value.toString(), 'live');
      const second = await client.put('DISCARD', Buffer.from('good'), { pending: true, expectedVersion: '1' });
      t.equal(second.version, '3');
      t.equal((await client.get('DISCARD')).value.toString(), 'live');
      t.same(
        (await client.listVersions('DISCARD')).map((v) => [v.version, v.state]),
        [
          ['3', 'pending'],
          ['2', 'deleted'],
          ['1', 'current'],
        ],
      );
    });

    t.test('pending with a stale expectedVersion is a ConflictError and leaves no pin behind', async (t) => {
      await client.put('PCAS', Buffer.from('a'));
      await client.put('PCAS', Buffer.from('b'));
      t.equal(codeOf(await failureOf(client.put('PCAS', Buffer.from('c'), { pending: true, expectedVersion: '1' }))), 'E_CONFLICT');
      t.equal((await rawMeta('PCAS')).custom_metadata, null);
      t.equal((await client.get('PCAS')).value.toString(), 'b');
    });

    t.test('a plain put while a version is pending becomes current (the pin is lifted)', async (t) => {
      await client.put('OVERRIDE', Buffer.from('a'));
      await client.put('OVERRIDE', Buffer.from('b'), { pending: true });
      const { version } = await client.put('OVERRIDE', Buffer.from('c'));
      t.equal(version, '3');
      t.equal((await client.get('OVERRIDE')).value.toString(), 'c');
      t.equal(await client.currentVersion('OVERRIDE'), '3');
    });
  });

  t.test('Method: delete', async (t) => {
    t.test('default: soft-deletes the current version; the data stays undeletable in Vault', async (t) => {
      await client.put('SOFTALL', Buffer.from('a'));
      await client.delete('SOFTALL');
      t.equal(codeOf(await failureOf(client.get('SOFTALL'))), 'E_NOT_FOUND');
      t.equal(codeOf(await failureOf(client.currentVersion('SOFTALL'))), 'E_NOT_FOUND');
      await vaultOk('POST', `/secret/undelete/${prefix}/SOFTALL`, { versions: [1] });
      t.equal((await client.get('SOFTALL')).value.toString(), 'a', 'undeleted by an operator');
    });

    t.test('default also deletes a pending version, so nothing of the secret stays readable as current', async (t) => {
      await client.put('SOFTPEND', Buffer.from('a'));
      await client.put('SOFTPEND', Buffer.from('b'), { pending: true });
      await client.delete('SOFTPEND');
      t.equal(codeOf(await failureOf(client.get('SOFTPEND'))), 'E_NOT_FOUND');
      t.same(
        (await client.listVersions('SOFTPEND')).map((v) => v.state),
        ['deleted', 'deleted'],
      );
    });

    t.test('permanent: removes metadata and every version; deleting again is a no-op', async (t) => {
      await client.put('GONE', Buffer.from('a'));
      await client.put('GONE', Buffer.from('b'));
      await client.delete('GONE', { permanent: true });
      t.equal((await vaultApi('GET', `/secret/metadata/${prefix}/GONE`)).status, 404);
      t.equal(codeOf(await failureOf(client.listVersions('GONE'))), 'E_NOT_FOUND');
      await client.delete('GONE', { permanent: true });
      await client.delete('GONE');
    });
  });

  t.test('Method: list', async (t) => {
    t.test('recurses into folders and filters by a partial last segment', async (t) => {
      for (const n of ['ls/a/one', 'ls/a/two', 'ls/a/deep/er/three', 'ls/b', 'ls/bb', 'ls/c/x']) await client.put(n, Buffer.from('1'));
      t.same(await client.list('ls/'), ['ls/a/deep/er/three', 'ls/a/one', 'ls/a/two', 'ls/b', 'ls/bb', 'ls/c/x']);
      t.same(await client.list('ls/b'), ['ls/b', 'ls/bb']);
      t.same(await client.list('ls/a/d'), ['ls/a/deep/er/three']);
      t.same(await client.list('nothing-here/'), []);
      t.equal(codeOf(await failureOf(client.list('ls/../'))), 'E_INVALID_NAME');
    });

    t.test('keys that are not valid logical names are skipped', async (t) => {
      await vaultOk('POST', `/secret/data/${prefix}/odd/has space`, { data: { value: 'x' } });
      await client.put('odd/fine', Buffer.from('1'));
      t.same(await client.list('odd/'), ['odd/fine']);
    });
  });

  t.test('Method: getMany', async (t) => {
    t.test('reads in parallel and keeps per-name errors, including invalid names', async (t) => {
      await client.put('GM/A', Buffer.from('a'));
      const r = await client.getMany(['GM/A', 'GM/MISSING', 'bad name']);
      t.equal(r.found.get('GM/A')?.value.toString(), 'a');
      t.equal(codeOf(r.errors.get('GM/MISSING')), 'E_NOT_FOUND');
      t.equal(codeOf(r.errors.get('bad name')), 'E_INVALID_NAME');
    });

    t.test('an aborted signal rejects the whole call', async (t) => {
      const controller = new AbortController();
      controller.abort();
      t.equal(codeOf(await failureOf(client.getMany(['GM/A'], { signal: controller.signal }))), 'E_PROVIDER_UNAVAILABLE');
    });
  });

  t.test('Method: health and close', async (t) => {
    t.test('health passes; a closed client refuses calls', async (t) => {
      const c = await makeVaultClient(prefix);
      await c.health();
      await c.close();
      await c.close();
      t.equal(codeOf(await failureOf(c.get('META'))), 'E_PROVIDER_UNAVAILABLE');
    });
  });
});

t.test('Factory: vaultProviderFactory.create', async (t) => {
  t.test('refuses a KV version 1 mount (writes would land at a literal data/ path)', async (t) => {
    const mount = `kv1-${Date.now().toString(36)}`;
    await vaultOk('POST', `/sys/mounts/${mount}`, { type: 'kv', options: { version: '1' } });
    t.teardown(() => vaultApi('DELETE', `/sys/mounts/${mount}`));
    const e = await failureOf(makeVaultClient('p', {}, undefined, { mount }));
    t.equal(codeOf(e), 'E_CONFIG');
    t.match((e as Error).message, /KV version 1/);
  });

  t.test('a mount that does not exist: create succeeds (the policy may hide it), calls fail with a clear error', async (t) => {
    const c = await makeVaultClient('p', {}, undefined, { mount: 'no-such-mount' });
    t.teardown(() => c.close());
    const e = await failureOf(c.get('X'));
    t.ok(['E_NOT_FOUND', 'E_PROVIDER_AUTH', 'E_PROVIDER_RESPONSE'].includes(codeOf(e)), codeOf(e));
  });
});
