// AwsSecretsManagerClient against the real moto peer: stages, batching, idempotency, check-and-set, naming, sizes.
import t from 'tap';
import { isSecretsError } from '../../../src/errors/SecretsError';
import { buildBatchGetInput } from '../../../src/providers/aws/buildBatchGetInput';
import { ensurePeer, plantValue, uniquePrefix } from '../../helpers/peers';
import { everythingOf, makeAwsClient, recordCalls, type RecordedCall } from './awsTestClient';

ensurePeer('aws');

const codeOf = (e: unknown) => (isSecretsError(e) ? e.code : `not a SecretsError: ${String(e)}`);
const batchCalls = (calls: RecordedCall[]) => calls.filter((c) => c.command === 'BatchGetSecretValueCommand');

t.test('Class: AwsSecretsManagerClient (moto)', async (t) => {
  const client = await makeAwsClient(uniquePrefix('awsclient') + '/');
  t.teardown(() => client.close());
  const calls = recordCalls(client);

  t.test('Method: put/get/updateStage — version stages', async (t) => {
    t.test('a put makes AWSCURRENT and moves AWSPREVIOUS to the old version', async (t) => {
      const a = await client.put('stages/A', Buffer.from(plantValue()));
      t.same((await client.get('stages/A')).stages, ['AWSCURRENT']);
      const b = await client.put('stages/A', Buffer.from(plantValue()));
      const versions = await client.listVersions('stages/A');
      t.same(
        versions.map((v) => [v.version, v.state]),
        [
          [b.version, 'current'],
          [a.version, 'previous'],
        ],
      );
      t.same(versions.find((v) => v.version === a.version)?.stages, ['AWSPREVIOUS']);
      t.type(versions[0]?.createdAt, Date);
    });

    t.test('a version without labels is retired; one with only a custom label is other', async (t) => {
      const a = await client.put('stages/L', Buffer.from(plantValue()));
      const b = await client.put('stages/L', Buffer.from(plantValue()));
      const c = await client.put('stages/L', Buffer.from(plantValue()));
      await client.updateStage('stages/L', 'BLUE', b.version);
      await client.updateStage('stages/L', 'AWSPREVIOUS', undefined, b.version);
      const states = new Map((await client.listVersions('stages/L')).map((v) => [v.version, v.state]));
      t.equal(states.get(a.version), 'retired', 'deprecated versions are listed (IncludeDeprecated)');
      t.equal(states.get(b.version), 'other');
      t.equal(states.get(c.version), 'current');
    });

    t.test('a pending put stages AWSPENDING and leaves the current value in place', async (t) => {
      const current = plantValue();
      const pending = plantValue();
      const c = await client.put('stages/P', Buffer.from(current));
      const p = await client.put('stages/P', Buffer.from(pending), { pending: true });
      const got = await client.get('stages/P');
      t.equal(got.value.toString(), current);
      t.equal(got.version, c.version);
      t.equal(await client.currentVersion('stages/P'), c.version);
      const staged = await client.get('stages/P', { version: p.version });
      t.equal(staged.value.toString(), pending);
      t.same(staged.stages, ['AWSPENDING']);
      const versions = await client.listVersions('stages/P');
      t.same(
        versions.map((v) => v.state),
        ['pending', 'current'],
        'newest (pending) first',
      );
    });

    t.test('updateStage promotes the pending version; get, currentVersion and getMany all see it', async (t) => {
      const v1 = plantValue();
      const v2 = plantValue();
      const a = await client.put('stages/R', Buffer.from(v1));
      const b = await client.put('stages/R', Buffer.from(v2), { pending: true });
      await client.updateStage('stages/R', 'AWSCURRENT', b.version, a.version);
      // moto gap: a GetSecretValue without VersionStage (and a batch) would still return v1 here.
      t.equal((await client.get('stages/R')).value.toString(), v2);
      t.equal(await client.currentVersion('stages/R'), b.version);
      const many = await client.getMany(['stages/R']);
      t.equal(many.found.get('stages/R')?.value.toString(), v2, 'getMany re-reads a stale batch answer by stage');
      t.equal(many.found.get('stages/R')?.version, b.version);
      await client.updateStage('stages/R', 'AWSPENDING', undefined, b.version);
      const versions = await client.listVersions('stages/R');
      t.same(versions.find((v) => v.version === b.version)?.stages, ['AWSCURRENT']);
      t.equal(versions.find((v) => v.version === a.version)?.state, 'previous', 'AWSPREVIOUS follows the old current');
    });

    t.test('updateStage refuses bad arguments before any call', async (t) => {
      const before = calls.length;
      await t.rejects(client.updateStage('stages/R', 'AWSCURRENT', undefined, undefined), { code: 'E_CONFIG' });
      await t.rejects(client.updateStage('stages/R', '', 'x'.repeat(36)), { code: 'E_CONFIG' });
      await t.rejects(client.updateStage('stages/R', 'AWSCURRENT', 'short'), { code: 'E_NOT_FOUND' });
      await t.rejects(client.updateStage('bad name', 'AWSCURRENT', 'x'.repeat(36)), { code: 'E_INVALID_NAME' });
      t.equal(calls.length, before, 'no SDK call');
    });

    t.test('a pending put of a secret that does not exist is E_NOT_FOUND and creates nothing', async (t) => {
      await t.rejects(client.put('stages/NONE', Buffer.from(plantValue()), { pending: true }), { code: 'E_NOT_FOUND' });
      await t.rejects(client.get('stages/NONE'), { code: 'E_NOT_FOUND' });
      await t.rejects(client.put('stages/NONE', Buffer.from('x'), { pending: true, expectedVersion: '0' }), { code: 'E_CONFIG' });
    });
  });

  t.test('Method: getMany', async (t) => {
    const values = new Map<string, string>();
    for (let i = 0; i < 45; i++) values.set(`batch/S${String(i).padStart(2, '0')}`, plantValue(8));
    for (const [name, value] of values) await client.put(name, Buffer.from(value));

    t.test('reads 45 names in 3 BatchGetSecretValue calls of at most 20 ids', async (t) => {
      const before = calls.length;
      const result = await client.getMany([...values.keys()]);
      const made = calls.slice(before);
      t.equal(result.found.size, 45);
      t.equal(result.errors.size, 0);
      for (const [name, value] of values) t.equal(result.found.get(name)?.value.toString(), value);
      t.same(made.map((c) => c.command), Array(3).fill('BatchGetSecretValueCommand'), 'three calls, nothing else');
      t.same(made.map((c) => c.ids).sort(), [20, 20, 5].sort());
      t.same(result.found.get('batch/S00')?.stages, ['AWSCURRENT']);
    });

    t.test('21 names are split 20 + 1 (moto would take 21 in one call; AWS would refuse)', async (t) => {
      const before = calls.length;
      const names = [...values.keys()].slice(0, 21);
      const result = await client.getMany(names);
      t.equal(result.found.size, 21);
      t.same(batchCalls(calls.slice(before)).map((c) => c.ids).sort(), [1, 20]);
    });

    t.test('buildBatchGetInput refuses 0 or 21 ids itself', async (t) => {
      t.throws(() => buildBatchGetInput(Array.from({ length: 21 }, (_, i) => `n${i}`)), { code: 'E_UNSUPPORTED', message: /1-20/ });
      t.throws(() => buildBatchGetInput([]), { code: 'E_UNSUPPORTED' });
      t.same(buildBatchGetInput(['a'], 'tok'), { SecretIdList: ['a'], NextToken: 'tok' });
      t.equal(buildBatchGetInput(Array.from({ length: 20 }, (_, i) => `n${i}`)).SecretIdList?.length, 20);
    });

    t.test('per-secret failures come back one by one as typed errors', async (t) => {
      const deleted = plantValue();
      await client.put('batch/DELETED', Buffer.from(deleted));
      await client.delete('batch/DELETED');
      const before = calls.length;
      const result = await client.getMany(['batch/S01', 'batch/MISSING', 'batch/DELETED', 'bad name', 'ends-abcdef', 'batch/S01']);
      t.equal(result.found.get('batch/S01')?.value.toString(), values.get('batch/S01'));
      t.equal(codeOf(result.errors.get('batch/MISSING')), 'E_NOT_FOUND');
      t.match(result.errors.get('batch/MISSING')?.message, /batch\/MISSING/);
      t.match(result.errors.get('batch/MISSING')?.message, /ResourceNotFoundException/);
      t.equal(codeOf(result.errors.get('batch/DELETED')), 'E_NOT_FOUND', 'scheduled for deletion reads as not found');
      t.match(result.errors.get('batch/DELETED')?.message, /RestoreSecret/);
      t.equal(codeOf(result.errors.get('bad name')), 'E_INVALID_NAME');
      t.equal(codeOf(result.errors.get('ends-abcdef')), 'E_INVALID_NAME');
      t.same(batchCalls(calls.slice(before)).map((c) => c.ids), [3], 'invalid names never reach AWS; duplicates are asked once');
      for (const e of result.errors.values()) t.notOk(everythingOf(e).includes(deleted), 'no value in a batch error');
    });

    t.test('an empty list makes no call', async (t) => {
      const before = calls.length;
      const result = await client.getMany([]);
      t.equal(result.found.size + result.errors.size, 0);
      t.equal(calls.length, before);
    });
  });

  t.test('Method: put — limits, idempotency token, check-and-set', async (t) => {
    t.test('refuses a value over 65,536 bytes before any call; takes exactly 65,536', async (t) => {
      const before = calls.length;
      const big = Buffer.alloc(65_537, 0x61);
      await t.rejects(client.put('size/BIG', big), { code: 'E_VALUE_TOO_LARGE', message: /65,537 bytes.*65,536/ });
      t.equal(calls.length, before);
      const max = Buffer.alloc(65_536, 0x62);
      await client.put('size/MAX', max);
      t.equal((await client.get('size/MAX')).value.length, 65_536);
    });

    t.test('same token + same value is a no-op; same token + another value is E_CONFLICT without values', async (t) => {
      const token = 'tok-' + plantValue(16).toLowerCase();
      const value = plantValue();
      const other = plantValue();
      const first = await client.put('token/A', Buffer.from(value), { token });
      t.equal(first.version, token, 'the token is the version id');
      const again = await client.put('token/A', Buffer.from(value), { token });
      t.equal(again.version, token);
      t.equal((await client.listVersions('token/A')).length, 1, 'no second version');
      const second = await client.put('token/A', Buffer.from(other), { token: 'tok2-' + plantValue(16) });
      const sameAgain = await client.put('token/A', Buffer.from(other), { token: 'tok2-' + plantValue(16) });
      t.not(second.version, sameAgain.version, 'a new token is a new version');
      const error = await client.put('token/A', Buffer.from(other), { token }).then(
        () => undefined,
        (e: unknown) => e,
      );
      t.equal(codeOf(error), 'E_CONFLICT');
      t.match((error as Error).message, /token/i);
      t.notOk(everythingOf(error).includes(value) || everythingOf(error).includes(other), 'no value in the conflict error');
      t.equal((await client.get('token/A', { version: token })).value.toString(), value, 'the old version is untouched');
    });

    t.test('refuses a token AWS would refuse (32-64 chars)', async (t) => {
      await t.rejects(client.put('token/B', Buffer.from('x'), { token: 'short' }), { code: 'E_CONFIG', message: /32-64/ });
      await t.rejects(client.put('token/B', Buffer.from('x'), { token: 'x'.repeat(65) }), { code: 'E_CONFIG' });
    });

    t.test("expectedVersion '0' creates only when absent (CreateSecret), a version id must match", async (t) => {
      const v1 = await client.put('cas/A', Buffer.from(plantValue()), { expectedVersion: '0' });
      await t.rejects(client.put('cas/A', Buffer.from(plantValue()), { expectedVersion: '0' }), { code: 'E_CONFLICT' });
      const v2 = await client.put('cas/A', Buffer.from(plantValue()), { expectedVersion: v1.version });
      await t.rejects(client.put('cas/A', Buffer.from(plantValue()), { expectedVersion: v1.version }), { code: 'E_CONFLICT', message: /not the expected/ });
      await t.rejects(client.put('cas/NEW', Buffer.from(plantValue()), { expectedVersion: v2.version }), { code: 'E_CONFLICT', message: /does not exist/ });
      t.equal(await client.currentVersion('cas/A'), v2.version);
    });

    t.test('stores valid UTF-8 as SecretString and other bytes as SecretBinary, both byte for byte', async (t) => {
      const text = Buffer.from('\ufeffhéllo\u0000wörld', 'utf8');
      await client.put('enc/TEXT', text);
      t.same([...(await client.get('enc/TEXT')).value], [...text], 'a BOM and NUL survive');
      const bytes = Buffer.from([0xff, 0xfe, 0x00, 0xc3]);
      await client.put('enc/BIN', bytes);
      t.same([...(await client.get('enc/BIN')).value], [...bytes]);
      await t.rejects(client.put('enc/EMPTY', Buffer.alloc(0)), { code: 'E_UNSUPPORTED', message: /empty/ });
    });
  });

  t.test('Method: list — exact prefix matches only', async (t) => {
    for (const name of ['lst/app/A', 'lst/app/sub/B', 'lst/apple', 'lst/APP/C', 'lst/other']) await client.put(name, Buffer.from(plantValue(4)));
    t.same(await client.list('lst/app/'), ['lst/app/A', 'lst/app/sub/B']);
    t.same(await client.list('lst/app'), ['lst/app/A', 'lst/app/sub/B', 'lst/apple']);
    t.same(await client.list('lst/none/'), []);
    t.ok((await client.list('')).includes('lst/other'), 'the empty prefix lists everything under the source prefix');
    await t.rejects(client.list('/abs'), { code: 'E_INVALID_NAME' });
    await t.rejects(client.list('a b'), { code: 'E_INVALID_NAME' });
  });

  t.test('Method: delete', async (t) => {
    t.test('with a recovery window: reads as not found, is not listed, and repeats quietly', async (t) => {
      await client.put('del/SOFT', Buffer.from(plantValue()));
      await client.delete('del/SOFT');
      await t.rejects(client.get('del/SOFT'), { code: 'E_NOT_FOUND' });
      await t.rejects(client.currentVersion('del/SOFT'), { code: 'E_NOT_FOUND' });
      t.notOk((await client.list('del/')).includes('del/SOFT'));
      // (Real AWS refuses PutSecretValue on a secret scheduled for deletion -> E_CONFLICT; moto accepts it, so
      // that mapping is tested against a fake endpoint in failures.test.ts.)
      await client.delete('del/SOFT');
      await client.delete('del/SOFT', { permanent: true });
      await client.put('del/SOFT', Buffer.from('back'));
      t.equal((await client.get('del/SOFT')).value.toString(), 'back', 'the name is free after a permanent delete');
    });

    t.test('of a missing secret is a no-op', async () => {
      await client.delete('del/NEVER', { permanent: true });
      await client.delete('del/NEVER');
    });

    t.test('of single versions is E_UNSUPPORTED, pointing at stages', async (t) => {
      await t.rejects(client.delete('del/SOFT', { versions: ['x'.repeat(36)] }), { code: 'E_UNSUPPORTED', message: /updateStage/ });
    });
  });

  t.test('invalid names are refused before any call, for every method, stating the rule', async (t) => {
    const before = calls.length;
    const names = ['', 'sp ace', 'tab\t', 'ümlaut', 'star*', 'db-secret', 'a//b', '/x', 'x/', 'x'.repeat(513)];
    for (const name of names) {
      for (const run of [
        () => client.get(name),
        () => client.put(name, Buffer.from('v')),
        () => client.currentVersion(name),
        () => client.listVersions(name),
        () => client.delete(name),
      ]) {
        const error = await run().then(
          () => undefined,
          (e: unknown) => e,
        );
        t.equal(codeOf(error), 'E_INVALID_NAME', JSON.stringify(name));
        t.match((error as Error).message, /1-512 ASCII letters, digits and the characters \/_\+=\.@-/);
      }
    }
    t.equal(calls.length, before, 'no SDK call');
  });

  t.test('Method: listVersions of a missing secret ends in a typed error (moto answers 500 where AWS says not found)', async (t) => {
    // Also guards the backoff timer: with an unref'd sleep the process exited in the middle of these retries.
    const error = await client.listVersions('versions/NONE').then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(['E_NOT_FOUND', 'E_PROVIDER_UNAVAILABLE'].includes(codeOf(error)), codeOf(error));
  });

  t.test('Method: health and close', async (t) => {
    await client.health();
    const other = await makeAwsClient(uniquePrefix('closed') + '/');
    await other.close();
    await other.close();
    await t.rejects(other.get('X'), { code: 'E_PROVIDER_UNAVAILABLE', message: /closed/ });
    await t.rejects(other.getMany(['X']), { code: 'E_PROVIDER_UNAVAILABLE' });
  });

  t.test('errors never carry a value (get of another version, wrong version id)', async (t) => {
    const value = plantValue();
    const v = await client.put('leak/A', Buffer.from(value));
    for (const version of [v.version.replace(/.$/, (c) => (c === '0' ? '1' : '0')), 'short']) {
      const error = await client.get('leak/A', { version }).then(
        () => undefined,
        (e: unknown) => e,
      );
      t.equal(codeOf(error), 'E_NOT_FOUND');
      t.notOk(everythingOf(error).includes(value));
    }
  });
});

t.test('Measure: getMany of 100 secrets against moto', async (t) => {
  const client = await makeAwsClient(uniquePrefix('measure') + '/');
  t.teardown(() => client.close());
  const names = Array.from({ length: 100 }, (_, i) => `load/S${String(i).padStart(3, '0')}`);
  const putStart = process.hrtime.bigint();
  for (const name of names) await client.put(name, Buffer.from(plantValue(16)));
  const putMs = Number(process.hrtime.bigint() - putStart) / 1e6;
  const calls = recordCalls(client);
  const start = process.hrtime.bigint();
  const result = await client.getMany(names);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  t.equal(result.found.size, 100);
  t.equal(calls.length, 5, 'five BatchGetSecretValue calls');
  t.comment(`getMany(100): ${calls.length} SDK calls (${calls.map((c) => c.command).join(', ')}), ${ms.toFixed(1)} ms; 100 sequential puts: ${putMs.toFixed(0)} ms`);
});
