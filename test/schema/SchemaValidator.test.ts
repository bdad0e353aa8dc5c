import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { checkSchema, loadSchema } from '../../src/schema/loadSchema';
import { tmpdir } from '../helpers/tmp';
import { plantValue } from '../helpers/peers';

const views = (o: Record<string, string | Uint8Array>) => new Map(Object.entries(o).map(([k, v]) => [k, typeof v === 'string' ? Buffer.from(v) : v]));

t.test('Class: SchemaValidator', async (t) => {
  const schema = {
    PASSWORD: { format: String, default: null, sensitive: true },
    TOKEN: { format: 'secret-utf8', default: null, sensitive: true, minBytes: 8, maxBytes: 16 },
    KEY_HEX: { format: 'secret-hex', default: null, sensitive: true },
    KEY_B64: { format: 'secret-base64', default: null },
    BLOB: { format: 'secret', default: null },
    PORT: { format: 'port', default: 5432 },
    MODE: { format: ['a', 'b'], default: 'a' },
    CUSTOM: { format: (v: unknown) => { if (v !== 'ok') throw new Error(`expected ok, got ${String(v)}`); }, default: 'ok' },
    OPTIONAL: { format: String, default: '' },
  };
  const v = new SchemaValidator(schema);
  const good = { PASSWORD: 'p', TOKEN: 'abcdefgh', KEY_HEX: 'ab01', KEY_B64: 'YWJj', BLOB: Buffer.from([0, 255]) };

  t.test('accepts a valid snapshot', async (t) => {
    t.same(v.validate(views(good)), []);
    t.same(v.validate(views({ ...good, PORT: '8080', MODE: 'b' })), []);
  });

  t.test('reports every missing required secret by name', async (t) => {
    const problems = v.validate(views({ BLOB: 'x' }));
    t.same(problems.map((p) => p.name).sort(), ['KEY_B64', 'KEY_HEX', 'PASSWORD', 'TOKEN']);
    for (const p of problems) t.equal(p.reason, 'is required but no source has it');
    t.ok(v.isRequired('PASSWORD'));
    t.notOk(v.isRequired('PORT'));
  });

  t.test('byte formats validate without the value reaching the message', async (t) => {
    const planted = plantValue(4);
    const problems = v.validate(views({ ...good, TOKEN: `${planted}-too-long-for-16`, KEY_HEX: `${planted}zz`, KEY_B64: `${planted}!`, BLOB: '' }));
    const reasons = Object.fromEntries(problems.map((p) => [p.name, p.reason]));
    t.match(reasons.TOKEN, /at most 16 bytes/);
    t.match(reasons.KEY_HEX, /hexadecimal/);
    t.match(reasons.KEY_B64, /base64/);
    t.match(reasons.BLOB, /must not be empty/);
    t.notOk(JSON.stringify(problems).includes(planted), 'no value in any reason');
  });

  t.test('secret-utf8 refuses invalid UTF-8 and NUL; secret accepts any bytes', async (t) => {
    const bad = v.validate(views({ ...good, TOKEN: Buffer.from([0xff, 0xfe, 0x41, 0x41, 0x41, 0x41, 0x41, 0x41]) }));
    t.match(bad[0]?.reason, /valid UTF-8/);
    const nul = v.validate(views({ ...good, TOKEN: 'abc\0defgh' }));
    t.match(nul[0]?.reason, /NUL/);
    t.same(v.validate(views({ ...good, BLOB: Buffer.from([0xff, 0]) })), []);
  });

  t.test('text formats: a value echoed by a validator is redacted', async (t) => {
    const planted = plantValue(4);
    const problems = v.validate(views({ ...good, CUSTOM: planted, PORT: 'notaport', MODE: 'c' }));
    const reasons = Object.fromEntries(problems.map((p) => [p.name, p.reason]));
    t.match(reasons.CUSTOM, /expected ok, got \[redacted\]/);
    t.match(reasons.PORT, /port/i);
    t.match(reasons.MODE, /must be one of/);
    t.notOk(JSON.stringify(problems).includes(planted));
    t.notOk(JSON.stringify(problems).includes('notaport'));
  });

  t.test('convict never imports values from the environment or argv', async (t) => {
    const withEnv = new SchemaValidator({ FROM_ENV: { format: String, default: null, env: 'HOME', arg: 'from-env' } });
    t.equal(withEnv.validate(new Map())[0]?.name, 'FROM_ENV');
  });
});

t.test('Function: loadSchema / checkSchema', async (t) => {
  const dir = tmpdir(t);
  fs.writeFileSync(path.join(dir, 'cjs.js'), 'module.exports = { A: { format: String, default: null } };');
  fs.writeFileSync(path.join(dir, 'esm-default.js'), 'exports.default = { B: { format: String, default: null } };');
  fs.writeFileSync(path.join(dir, 'schema.json'), '{ "C": { "format": "String", "default": null } }');
  fs.writeFileSync(path.join(dir, 'broken.js'), 'throw new Error("boom")');
  t.same(Object.keys(loadSchema(path.join(dir, 'cjs.js'))), ['A']);
  t.same(Object.keys(loadSchema('esm-default.js', dir)), ['B']);
  t.same(Object.keys(loadSchema(path.join(dir, 'schema.json'))), ['C']);
  t.throws(() => loadSchema(path.join(dir, 'missing.js')), { code: 'E_SCHEMA_LOAD', message: /cannot load/ });
  t.throws(() => loadSchema(path.join(dir, 'broken.js')), { code: 'E_SCHEMA_LOAD' });
  t.throws(() => checkSchema(null), { code: 'E_SCHEMA_LOAD' });
  t.throws(() => checkSchema([]), { code: 'E_SCHEMA_LOAD' });
  t.throws(() => checkSchema({}), { message: /declares no secrets/ });
  t.throws(() => checkSchema({ '../etc': { default: null } }), { message: /not allowed/ });
  t.throws(() => checkSchema({ '..data': { default: null } }), { message: /not allowed/ });
  t.throws(() => checkSchema({ 'a/b': { default: null } }), { message: /not allowed/ });
  t.throws(() => checkSchema({ group: { inner: { default: null } } }), { message: /needs a "default"/ });
});
