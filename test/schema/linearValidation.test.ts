import fc from 'fast-check';
import t from 'tap';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import type { SecretsSchema } from '../../src/schema/SecretsSchema';

type Convict = typeof import('convict');

const TOKEN = '\u0000ref:';
const tokens = new Map<string, Uint8Array>();

/** The byte checks of one `secret*` format, as the validator applies them to a present value. */
function byteReason(format: string, bytes: Uint8Array, schema: Record<string, unknown>): string | undefined {
  const one = new SchemaValidator({ X: { format, default: null, minBytes: schema.minBytes as number, maxBytes: schema.maxBytes as number } });
  return one.validate(new Map([['X', bytes]]))[0]?.reason;
}

/**
 * The reference: convict itself validating the whole schema, as the library did before it checked the opaque
 * formats without convict (values handed over as tokens, the `secret*` formats registered with convict).
 */
function convictReference(schema: SecretsSchema, values: ReadonlyMap<string, Uint8Array>): { name: string; reason: string }[] {
  const convict = require('convict') as Convict;
  const def: Record<string, unknown> = {};
  for (const [name, prop] of Object.entries(schema)) def[name] = { ...prop, sensitive: true };
  const config = convict(def as never, { env: {}, args: [] });
  for (const [name, view] of values) {
    tokens.set(TOKEN + name, view);
    config.set(name as never, (TOKEN + name) as never);
  }
  const problems: { name: string; reason: string }[] = [];
  try {
    config.validate({ allowed: 'strict', output: () => undefined });
  } catch (error) {
    for (const line of (error as Error).message.split('\n')) {
      const m = /^([^:]+): (.*)$/.exec(line);
      if (!m) continue;
      const name = m[1]!;
      const d = schema[name]?.default;
      const missing = !values.has(name) && (d === null || d === undefined);
      problems.push({ name, reason: missing ? 'is required but no source has it' : m[2]! });
    }
  } finally {
    tokens.clear();
  }
  return problems;
}

t.test('opaque formats: the linear validator gives convict\'s outcome and messages', async (t) => {
  const convict = require('convict') as Convict;
  const bytesOf = (v: unknown): Uint8Array => {
    if (typeof v === 'string' && tokens.has(v)) return tokens.get(v)!;
    if (typeof v === 'string') return Buffer.from(v, 'utf8');
    throw new Error('must be a secret value');
  };
  const formats: Record<string, { validate: (v: unknown, schema: Record<string, unknown>) => void }> = {};
  for (const f of ['secret', 'secret-utf8', 'secret-hex', 'secret-base64']) {
    formats[f] = {
      validate: (v, schema) => {
        const reason = byteReason(f, bytesOf(v), schema);
        if (reason !== undefined) throw new Error(reason);
      },
    };
  }
  convict.addFormats(formats as never);

  const format = fc.constantFrom<unknown>(String, 'String', '*', 'secret', 'secret-utf8', 'secret-hex', 'secret-base64');
  const dflt = fc.constantFrom<unknown>(null, undefined, '', 'abc', 'ab01', 'YWJj', 5, [], {}, { a: 1 });
  const prop = fc.record({ format, default: dflt, nullable: fc.constantFrom(undefined, true, false), minBytes: fc.constantFrom(undefined, 2, 5) });
  const value = fc.option(fc.constantFrom('', 'abc', 'ab01', 'YWJj', 'zz', 'a\0b', '\xff\xfe', 'abcdefgh'), { nil: undefined });
  const cases = fc.array(fc.tuple(prop, value), { minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(cases, (entries) => {
      const schema: SecretsSchema = {};
      const values = new Map<string, Uint8Array>();
      entries.forEach(([p, v], i) => {
        const clean = Object.fromEntries(Object.entries(p).filter(([k, x]) => x !== undefined || k === 'default'));
        schema[`S${i}`] = clean;
        if (v !== undefined) values.set(`S${i}`, Buffer.from(v, v.startsWith('\xff') ? 'latin1' : 'utf8'));
      });
      const byName = (a: { name: string }, b: { name: string }) => a.name.localeCompare(b.name);
      // A default that is not null is checked when the schema is loaded: convict's verdict on the defaults alone.
      const withDefault = Object.fromEntries(Object.entries(schema).filter(([, p]) => p.default !== null && p.default !== undefined));
      const badDefaults = convictReference(withDefault, new Map());
      if (badDefaults.length > 0) {
        t.throws(() => new SchemaValidator(schema), { code: 'E_SCHEMA_LOAD' });
        let message = '';
        try {
          new SchemaValidator(schema);
        } catch (error) {
          message = (error as Error).message;
        }
        for (const p of badDefaults) t.ok(message.includes(`the default of ${p.name} is invalid: ${p.reason}`), `${p.name}: ${p.reason}`);
        return true;
      }
      const ours = new SchemaValidator(schema).validate(values).sort(byName);
      const reference = convictReference(schema, values).sort(byName);
      t.same(ours, reference);
      return true;
    }),
    { numRuns: 300 },
  );
});

t.test('an all-opaque schema validates without loading convict', async (t) => {
  const schema: SecretsSchema = {};
  for (let i = 0; i < 2000; i++) schema[`S${i}`] = { format: i % 2 ? String : 'secret-hex', default: null, sensitive: true };
  const values = new Map<string, Uint8Array>();
  for (let i = 0; i < 2000; i++) if (i !== 7) values.set(`S${i}`, Buffer.from(i === 8 ? 'xyz1' : 'ab01'));
  // This file loads convict in the test above; take it out of the cache and watch for a new load.
  for (const k of Object.keys(require.cache)) if (k.includes(`${'/'}convict${'/'}`)) delete require.cache[k];
  const problems = new SchemaValidator(schema).validate(values);
  t.same(problems, [
    { name: 'S7', reason: 'is required but no source has it' },
    { name: 'S8', reason: 'must be hexadecimal with an even number of digits' },
  ]);
  t.notOk(
    Object.keys(require.cache).some((k) => k.includes(`${'/'}convict${'/'}`)),
    'convict was not loaded',
  );
});

t.test('other formats go to convict in groups; every problem is reported, in schema order', async (t) => {
  const schema: SecretsSchema = {};
  for (let i = 0; i < 300; i++) schema[`P${String(i).padStart(3, '0')}`] = i % 3 === 0 ? { format: 'port', default: null } : { format: String, default: null };
  const values = new Map<string, Uint8Array>();
  for (const name of Object.keys(schema)) values.set(name, Buffer.from(name === 'P150' || name === 'P297' ? 'notaport' : '8080'));
  values.delete('P003');
  values.delete('P004');
  const problems = new SchemaValidator(schema).validate(values);
  t.same(
    problems.map((p) => p.name),
    ['P003', 'P004', 'P150', 'P297'],
  );
  t.equal(problems[0]?.reason, 'is required but no source has it');
  t.equal(problems[1]?.reason, 'is required but no source has it');
  t.match(problems[2]?.reason, /port/);
  t.notOk(JSON.stringify(problems).includes('notaport'), 'no value in a reason');
});
