import fc from 'fast-check';
import t from 'tap';
import { SecureArena } from '../../src/memory/SecureArena';
import { extractJsonField } from '../../src/schema/extractJsonField';

const arena = new SecureArena();
const get = (json: string, key: string) => {
  const s = extractJsonField(Buffer.from(json), key, arena);
  const text = s.view.toString('utf8');
  s.free();
  return text;
};

t.test('Function: extractJsonField', async (t) => {
  t.equal(get('{"username":"app","password":"s3cr\\"et\\n\\u00e9\\ud83d\\ude00"}', 'password'), 's3cr"et\né😀');
  t.equal(get(' { "a" : { "x": [1, "}"] } , "port" : 5432 , "on": true }', 'port'), '5432');
  t.equal(get('{"a":{"x":[1,"}"]},"b":"two"}', 'a'), '{"x":[1,"}"]}');
  t.equal(get('{"a":"x","b":"y"}', 'b'), 'y');
  t.equal(get('{"k\\u0065y":"v"}', 'key'), 'v', 'escaped keys are decoded');
  for (const [json, why] of [['[1]', /not a JSON object/], ['{}', /no key "password"/], ['{"a":"b"}', /no key/], ['{"password":"open', /unterminated/], ['{"password":"\\x"}', /bad escape/], ['{"password" "x"}', /":" expected/], ['{"a":"b" "c"}', /"," or "}" expected/], ['', /not a JSON object/]] as const) {
    t.throws(() => get(json, 'password'), { code: 'E_PROVIDER_RESPONSE', message: why }, json);
  }
  try {
    get('{"password":"PLANTED-VALUE\\q"}', 'password');
    t.fail('should throw');
  } catch (e) {
    t.notOk((e as Error).message.includes('PLANTED'), 'the value is never quoted');
  }
  t.equal(arena.stats().liveSlices, 0, 'failed extractions release their slice');
});

t.test('agrees with JSON.parse on random objects', async (t) => {
  let n = 0;
  fc.assert(
    fc.property(fc.dictionary(fc.string({ minLength: 1 }), fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.integer(), fc.boolean(), fc.array(fc.integer()))), (obj) => {
      const json = JSON.stringify(obj);
      for (const [k, v] of Object.entries(obj)) {
        n++;
        const expected = typeof v === 'string' ? v : JSON.stringify(v);
        if (get(json, k) !== expected) throw new Error(`mismatch for ${JSON.stringify(k)}`);
      }
    }),
    { numRuns: 500 },
  );
  t.ok(n > 500, `${n} fields extracted`);
});

t.test('random bytes: a slice or a typed ProviderResponseError, nothing else', async (t) => {
  let n = 0;
  const before = arena.stats().liveSlices;
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.string().map((s) => new Uint8Array(Buffer.from(`{"k":${s}`))), fc.string().map((s) => new Uint8Array(Buffer.from(`{"k":"${s}"}`)))), fc.constantFrom('k', 'password', ''), (bytes, key) => {
      n++;
      try {
        extractJsonField(bytes, key, arena).free();
      } catch (error) {
        if ((error as { code?: string }).code !== 'E_PROVIDER_RESPONSE') throw error;
      }
    }),
    { numRuns: 5000 },
  );
  t.ok(n >= 5000, `${n} random inputs`);
  t.equal(arena.stats().liveSlices, before, 'no slice leaked');
});
