import t from 'tap';
import { cacheKey } from '../../src/cache/cacheKey';
import { parseCacheKey } from '../../src/cache/parseCacheKey';

t.test('Function: cacheKey', async (t) => {
  t.test('joins provider, path and version; the version defaults to the current one', async (t) => {
    t.equal(cacheKey('aws://r/app', 'tenants/a/DB'), cacheKey('aws://r/app', 'tenants/a/DB', ''));
    t.not(cacheKey('aws://r/app', 'tenants/a/DB'), cacheKey('aws://r/app', 'tenants/a/DB', 'v1'));
  });

  t.test('is injective: triples that differ give different keys', async (t) => {
    const triples: [string, string, string][] = [
      ['p', 'a/b', ''],
      ['p', 'a', 'b'],
      ['p/a', 'b', ''],
      ['p', 'a/b', 'c'],
      ['p', 'a/bc', ''],
      ['pa', '/b', ''],
    ];
    const keys = new Set(triples.map(([p, path, v]) => cacheKey(p, path, v)));
    t.equal(keys.size, triples.length);
  });

  const bad: [string, () => string][] = [
    ['an empty provider id', () => cacheKey('', 'a')],
    ['an empty path', () => cacheKey('p', '')],
    ['a NUL in the provider id', () => cacheKey('p\u0000x', 'a')],
    ['a NUL in the path', () => cacheKey('p', 'a\u0000b')],
    ['a NUL in the version', () => cacheKey('p', 'a', 'v\u0000')],
    ['a non-string path', () => cacheKey('p', 42 as unknown as string)],
  ];
  for (const [label, make] of bad) {
    t.test(`throws a TypeError naming the part, never its content, for ${label}`, async (t) => {
      t.throws(make, TypeError);
      try {
        make();
      } catch (e) {
        t.notOk((e as Error).message.includes('\u0000'), 'no NUL (so no part) in the message');
        t.match((e as Error).message, /providerId|path|version/);
      }
    });
  }
});

t.test('Function: parseCacheKey', async (t) => {
  t.test('gives back the parts of a key made by cacheKey', async (t) => {
    t.same(parseCacheKey(cacheKey('vault://h/secret', 'prod/tenants/a/DB', '3')), { providerId: 'vault://h/secret', path: 'prod/tenants/a/DB', version: '3' });
    t.same(parseCacheKey(cacheKey('p', 'x')), { providerId: 'p', path: 'x', version: '' });
  });

  t.test('returns undefined for strings that are not keys', async (t) => {
    for (const s of ['', 'plain', 'p\u0000a', '\u0000a\u0000', 'p\u0000\u0000v', 'p\u0000a\u0000v\u0000x', 7 as unknown as string]) t.equal(parseCacheKey(s), undefined, JSON.stringify(s));
  });
});
