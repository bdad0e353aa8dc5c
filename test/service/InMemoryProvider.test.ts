import t from 'tap';
import { ProviderUnavailableError } from '../../src/errors';
import { InMemoryProvider } from '../../src/service';
import { runProviderContract } from '../providers/contract';

// The shared provider contract, as every real adapter runs it against its peer.
runProviderContract(t, 'memory', {
  makeClient: async (prefix) => new InMemoryProvider({ prefix: prefix + '/' }),
  invalidNames: ['', 'a//b', '/lead', 'trail/', 'bad name', 'ü', '..', 'x/./y', 'semi;colon', 'nul\u0000x', 'x'.repeat(2000)],
});

t.test('Class: InMemoryProvider', async (t) => {
  t.test('Method: callCount', async (t) => {
    t.test('counts every call, valid or not, per method', async (t) => {
      const p = new InMemoryProvider();
      await p.put('a/B', Buffer.from('v'));
      await p.get('a/B');
      await t.rejects(p.get('../x'), { code: 'E_INVALID_NAME' });
      await p.list('a/');
      t.equal(p.callCount('get'), 2);
      t.equal(p.callCount('put'), 1);
      t.equal(p.callCount(), 4);
      p.resetCallCounts();
      t.equal(p.callCount(), 0);
    });
  });

  t.test('Option: beforeCall', async (t) => {
    t.test('injects failures after validation, and sees names only', async (t) => {
      const seen: unknown[] = [];
      const p = new InMemoryProvider({
        beforeCall: (call) => {
          seen.push(call);
          if (call.method === 'get') throw new ProviderUnavailableError('down');
        },
      });
      await p.put('K', Buffer.from('secret-value'));
      await t.rejects(p.get('K'), { code: 'E_PROVIDER_UNAVAILABLE' });
      await t.rejects(p.get('bad name'), { code: 'E_INVALID_NAME' });
      t.same(seen, [
        { method: 'put', name: 'K' },
        { method: 'get', name: 'K' },
      ]);
    });
  });

  t.test('Method: put', async (t) => {
    t.test('keeps a pending version out of reads until another write makes a new current one', async (t) => {
      const p = new InMemoryProvider();
      const a = await p.put('K', Buffer.from('one'));
      const b = await p.put('K', Buffer.from('two'), { pending: true });
      t.equal((await p.get('K')).value.toString(), 'one');
      t.equal((await p.get('K', { version: b.version })).value.toString(), 'two');
      t.same(
        (await p.listVersions('K')).map((v) => [v.version, v.state]),
        [
          [b.version, 'pending'],
          [a.version, 'current'],
        ],
      );
    });

    t.test('checks the expected version ("0": must not exist)', async (t) => {
      const p = new InMemoryProvider();
      await p.put('K', Buffer.from('one'), { expectedVersion: '0' });
      await t.rejects(p.put('K', Buffer.from('two'), { expectedVersion: '0' }), { code: 'E_CONFLICT' });
      await p.put('K', Buffer.from('two'), { expectedVersion: '1' });
    });

    t.test('copies the value in and out: later changes to either buffer change nothing', async (t) => {
      const p = new InMemoryProvider();
      const input = Buffer.from('abc');
      await p.put('K', input);
      input.fill(0);
      const out = (await p.get('K')).value;
      out.fill(0);
      t.equal((await p.get('K')).value.toString(), 'abc');
    });

    t.test('refuses values over maxValueBytes', async (t) => {
      const p = new InMemoryProvider({ maxValueBytes: 4 });
      await t.rejects(p.put('K', Buffer.from('12345')), { code: 'E_VALUE_TOO_LARGE' });
    });
  });

  t.test('Method: delete', async (t) => {
    t.test('deletes versions (the current one too: then the secret reads as not found)', async (t) => {
      const p = new InMemoryProvider();
      const a = await p.put('K', Buffer.from('one'));
      const b = await p.put('K', Buffer.from('two'));
      await p.delete('K', { versions: [a.version] });
      t.equal((await p.listVersions('K')).find((v) => v.version === a.version)?.state, 'deleted');
      await p.delete('K', { versions: [b.version], permanent: true });
      await t.rejects(p.get('K'), { code: 'E_NOT_FOUND' });
      await t.rejects(p.delete('K', { versions: ['9'] }), { code: 'E_NOT_FOUND' });
    });
  });

  t.test('Method: close', async (t) => {
    t.test('zeroes the values and refuses later calls', async (t) => {
      const p = new InMemoryProvider();
      await p.put('K', Buffer.from('v'));
      await p.close();
      t.equal(p.size, 0);
      await t.rejects(p.get('K'), { code: 'E_PROVIDER_UNAVAILABLE' });
      await t.rejects(p.health(), { code: 'E_PROVIDER_UNAVAILABLE' });
    });
  });

  t.test('Method: getMany', async (t) => {
    t.test('reports invalid and missing names per name', async (t) => {
      const p = new InMemoryProvider();
      await p.put('A', Buffer.from('a'));
      const r = await p.getMany(['A', 'MISSING', 'bad name']);
      t.same([...r.found.keys()], ['A']);
      t.same(
        [...r.errors].map(([n, e]) => [n, e.code]),
        [
          ['MISSING', 'E_NOT_FOUND'],
          ['bad name', 'E_INVALID_NAME'],
        ],
      );
    });
  });

  t.test('Refusals', async (t) => {
    t.test('aborted calls, bad list prefixes, missing secrets', async (t) => {
      const p = new InMemoryProvider({ beforeCall: async () => undefined });
      await p.put('A', Buffer.from('a'));
      const aborted = AbortSignal.abort();
      await t.rejects(p.get('A', { signal: aborted }), { code: 'E_PROVIDER_UNAVAILABLE' });
      await t.rejects(p.getMany(['A'], { signal: aborted }), { code: 'E_PROVIDER_UNAVAILABLE' });
      await t.rejects(p.list('/abs'), { code: 'E_INVALID_NAME' });
      await t.rejects(p.list('a//b'), { code: 'E_INVALID_NAME' });
      await t.rejects(p.currentVersion('MISSING'), { code: 'E_NOT_FOUND' });
      await t.rejects(p.listVersions('MISSING'), { code: 'E_NOT_FOUND' });
      await t.rejects(p.delete('MISSING'), { code: 'E_NOT_FOUND' });
      await t.rejects(p.put('A', 'text' as never), TypeError);
      await t.rejects(p.put('A', Buffer.from('b'), { token: 'T'.repeat(32) }).then(() => p.put('A', Buffer.from('c'), { token: 'T'.repeat(32) })), { code: 'E_CONFLICT' });
      await p.health();
      t.equal(p.size, 1);
      t.equal(await p.currentVersion('A'), '2');
    });
  });

  t.test('Constructor', async (t) => {
    t.throws(() => new InMemoryProvider({ scheme: 'Bad Scheme' }), { code: 'E_CONFIG' });
    t.throws(() => new InMemoryProvider({ prefix: 'no-slash' }), { code: 'E_CONFIG' });
    t.throws(() => new InMemoryProvider({ prefix: '../' }), { code: 'E_CONFIG' });
  });
});
