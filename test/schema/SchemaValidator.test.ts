import * as fs from 'node:fs';
import * as path from 'node:path';
import { inspect } from 'node:util';
import t from 'tap';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { checkSchema, loadSchema } from '../../src/schema/loadSchema';
import { piecesOf, quotesValue, WITHHELD } from '../../src/schema/redactValues';
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
  t.throws(() => checkSchema({ group: { inner: { default: null, sensitive: true } } }), { message: /secret inside a group/ });
  t.doesNotThrow(() => checkSchema({ group: { inner: { default: null } } }), 'a nested group of settings');
});

t.test('Class: SchemaValidator: schema errors a user can act on', async (t) => {
  t.test('an unknown format is a SchemaLoadError with convict message, naming the property and the format', async (t) => {
    t.throws(() => new SchemaValidator({ TOKEN: { format: 'secret-utf9', default: null, sensitive: true } }), { code: 'E_SCHEMA_LOAD', message: /^SECRETS_SCHEMA: the schema is not valid: 'TOKEN' uses an unknown format type: secret-utf9\. Use a convict format or one of secret, secret-utf8/ });
    t.throws(() => new SchemaValidator({ X: { format: 42, default: null } }), { code: 'E_SCHEMA_LOAD', message: /'X': "format" must be a function or a known format type/ });
  });

  t.test('an invalid default says it is the default that is wrong, without echoing it', async (t) => {
    const planted = plantValue(4);
    const cases: [Record<string, Record<string, unknown>>, RegExp][] = [
      [{ PORT: { format: 'port', default: 70000 } }, /the default of PORT is invalid: ports must be within range/],
      [{ PORT: { format: 'port', default: '8080abc' } }, /the default of PORT is invalid: must be a port number/],
      [{ MODE: { format: ['a', 'b'], default: 'c' } }, /the default of MODE is invalid: must be one of the possible values/],
      [{ KEY: { format: 'secret', default: '' } }, /the default of KEY is invalid: must not be empty/],
      [{ URL: { format: 'url', default: 'not a url' } }, /the default of URL is invalid: must be an absolute URL/],
      [{ CUSTOM: { format: (v: unknown) => { throw new Error(`bad ${String(v)}`); }, default: planted } }, /the default of CUSTOM is invalid: bad \[redacted\]/],
      [{ OBJ: { format: Object, default: `{${planted}` } }, /.*/],
    ];
    for (const [schema, message] of cases) {
      let error: unknown;
      try {
        new SchemaValidator(schema as never);
      } catch (e) {
        error = e;
      }
      t.match(error, { code: 'E_SCHEMA_LOAD', message }, Object.keys(schema).join());
      t.notOk(String((error as Error)?.message).includes(planted), 'no default echoed');
    }
    t.doesNotThrow(() => new SchemaValidator({ A: { format: String, default: null }, B: { format: 'port', default: 587 }, C: { format: 'secret', default: null, nullable: true } }), 'null defaults are required secrets, not errors');
  });

  t.test('strict numbers: the text must be the number, as the app receives the text', async (t) => {
    const v = new SchemaValidator({ PORT: { format: 'port', default: 1 }, N: { format: Number, default: 1 }, I: { format: 'int', default: 1 }, NAT: { format: 'nat', default: 1 }, P2: { format: 'port_or_windows_named_pipe', default: 1 } });
    const reasons = (o: Record<string, string>) => Object.fromEntries(v.validate(views(o)).map((p) => [p.name, p.reason]));
    t.same(reasons({ PORT: '8080', N: '-3.5e2', I: '-12', NAT: '0', P2: '\\\\.\\pipe\\x' }), {});
    const bad = reasons({ PORT: '8080abc', N: 'not-a-number', I: '1.5', NAT: '-1', P2: '80 ' });
    t.match(bad, { PORT: /must be a port number \(0-65535\) written in decimal digits only/, N: /must be a decimal number/, I: /must be an integer/, NAT: /non-negative integer/, P2: /port number/ });
    t.match(reasons({ PORT: '99999' }), { PORT: /ports must be within range/ });
    t.match(reasons({ N: 'Infinity' }), { N: /decimal number/ });
  });

  t.test('url: registered strictly (convict 6 has none)', async (t) => {
    const v = new SchemaValidator({ U: { format: 'url', default: null } });
    for (const ok of ['https://example.com/x?y=1', 'postgres://db.internal:5432/app', 'file:///etc/x']) t.same(v.validate(views({ U: ok })), [], ok);
    for (const bad of ['example.com', 'http://', 'https://exa mple.com', ' https://example.com', 'mailto:a@b.c', 'https://example.com\n']) t.match(v.validate(views({ U: bad }))[0]?.reason, /must be an absolute URL/, JSON.stringify(bad));
  });

  t.test('a validator message spanning lines stays with its secret, and an echoed multi-line value is redacted whole', async (t) => {
    const planted = plantValue(4);
    const v = new SchemaValidator({
      ECHO: { format: (x: unknown) => { throw new Error(`got ${String(x)}\nsecond line of the message`); }, default: null },
      JSON: { format: (x: unknown) => { throw new Error(`got ${JSON.stringify(x)}`); }, default: null },
      OTHER: { format: String, default: null },
    });
    const value = `${planted}\nline two ${planted}\r\n\tzzthird\u0000qqqq\n\n`;
    const problems = v.validate(views({ ECHO: value, JSON: value, OTHER: 'x' }));
    t.same(problems.map((p) => p.name), ['ECHO', 'JSON'], 'no stray (schema) lines');
    t.match(problems[0]?.reason, /^got \[redacted\] second line of the message$/);
    t.match(problems[1]?.reason, /^got "\[redacted\]"$/);
    for (const p of problems) t.notOk([...p.reason].some((c) => c.charCodeAt(0) < 0x20), 'one line, no control characters');
    t.notOk(JSON.stringify(problems).includes(planted));
    t.notOk(JSON.stringify(problems).includes("zzthird"));
  });

  t.test('a long binary value with line breaks echoed by util.inspect (written one quoted line at a time) is redacted whole', async (t) => {
    const v = new SchemaValidator({ INSPECT: { format: (x: unknown) => { throw new Error(`bad value ${inspect(x)}`); }, default: null } });
    const value = Buffer.concat([Buffer.from([2, 0x39, 0xff, 0x5c, 0x4d, 0x29, 0x0a, 0x00, 0xff, 0x0a]), Buffer.from('gI~[*{;c^C'.repeat(12)), Buffer.from([0x0a, 0x1b, 0xfe])]);
    t.ok(inspect(value.toString('utf8')).includes("' +\n"), 'inspect splits this value into quoted lines');
    t.same(v.validate(views({ INSPECT: value })), [{ name: 'INSPECT', reason: 'bad value [redacted]' }]);
  });

  t.test('a message that still holds a piece of a value after redaction is withheld whole; others are kept', async (t) => {
    // A's value (short: redacted as a word, after longer forms) stands right before the rest of a line of B
    // that starts with a NUL: "[redacted]-bc" reads as that line.
    const v = new SchemaValidator({
      A: { format: (x: unknown) => { throw new Error(`got ${String(x)}-bc`); }, default: null },
      B: { format: () => undefined, default: null },
      C: { format: (x: unknown) => { throw new Error(`got ${String(x)}`); }, default: null },
    });
    const problems = v.validate(views({ A: 'é', B: 'x\n\u0000-bc', C: 'zzzz\u0000' }));
    t.same(problems, [
      { name: 'A', reason: WITHHELD },
      { name: 'C', reason: 'got [redacted]' },
    ]);
    t.match(WITHHELD, /withheld because it quoted the value/);
  });

  t.test('Function: quotesValue', async (t) => {
    const pieces = piecesOf(['\u0000abc\nlonger line', 'ab']);
    t.ok(quotesValue('got [redacted]abc', pieces), 'a line of the value across a redaction');
    t.ok(quotesValue('got \\x00abc', pieces), 'a line as util.inspect writes it');
    t.ok(quotesValue('got \\u0000abc', pieces), 'a line as JSON writes it');
    t.ok(quotesValue('got longer line', pieces), 'a line');
    t.notOk(quotesValue('got [redacted] abc', pieces), 'up to 3 bytes beside a redaction');
    t.notOk(quotesValue('got ab', pieces), 'a value of up to 3 bytes is not a piece');
  });
});
