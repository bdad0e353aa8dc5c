import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import t from 'tap';
import { config, typedConfig } from '../../src/config/Config';
import { SettingsModel, splitSchema } from '../../src/config/SettingsModel';
import { SchemaValidator } from '../../src/schema/SchemaValidator';
import { checkSchema } from '../../src/schema/loadSchema';
import { SecretsRuntime, type RotatedEvent } from '../../src/runtime/SecretsRuntime';
import { getRuntime, setRuntime } from '../../src/runtime/runtimeSlot';
import type { RawValue } from '../../src/store/RawValue';
import { plantValue } from '../helpers/peers';
import { tmpdir } from '../helpers/tmp';

const schema = {
  DB_PASSWORD: { format: String, default: null, sensitive: true },
  API_KEY: { format: 'secret-hex', default: null },
  SMTP_PORT: { format: 'port', default: 587, env: 'APP_SMTP_PORT' },
  DEBUG: { format: Boolean, default: false, env: 'APP_DEBUG' },
  LEVEL: { format: ['debug', 'info'], default: 'info' },
  HOST: { format: String, default: null, env: 'APP_HOST' },
  db: { pool: { max: { format: 'int', default: 10, env: 'APP_POOL_MAX' } }, name: { format: String, default: 'app' } },
};
const views = (o: Record<string, string>) => new Map(Object.entries(o).map(([k, v]) => [k, Buffer.from(v)]));

t.test('Class: SettingsModel', async (t) => {
  t.test('splits secrets (sensitive or secret format) from settings, at any depth', async (t) => {
    const parts = splitSchema(schema, {});
    t.same(Object.keys(parts.secrets), ['DB_PASSWORD', 'API_KEY']);
    t.same(parts.settings.paths, ['SMTP_PORT', 'DEBUG', 'LEVEL', 'HOST', 'db.pool.max', 'db.name']);
    t.equal(parts.settings.kind('DB_PASSWORD'), 'secret');
    t.equal(parts.settings.kind('db.pool'), 'group');
    t.equal(parts.settings.kind('db.pool.max'), 'setting');
    t.equal(parts.settings.kind('nope'), undefined);
  });

  t.test('sources first, then the env key, then the default; coerced by format', async (t) => {
    const model = new SettingsModel(schema, { APP_SMTP_PORT: '2525', APP_POOL_MAX: '20', APP_HOST: 'from-env', APP_DEBUG: 'true' });
    const { settings, problems } = model.resolve(views({ HOST: 'from-mount', 'db.name': 'orders' }));
    t.same(problems, []);
    t.same(settings, { SMTP_PORT: 2525, DEBUG: true, LEVEL: 'info', HOST: 'from-mount', db: { pool: { max: 20 }, name: 'orders' } });
    t.ok(Object.isFrozen(settings) && Object.isFrozen(settings.db), 'frozen, deep');
    t.same([...model.envKeys].sort(), ['APP_DEBUG', 'APP_HOST', 'APP_POOL_MAX', 'APP_SMTP_PORT']);
  });

  t.test('the environment is read once, at construction', async (t) => {
    const env: NodeJS.ProcessEnv = { APP_HOST: 'h1' };
    const model = new SettingsModel(schema, env);
    delete env.APP_HOST;
    t.equal(model.resolve(views({})).settings.HOST, 'h1');
  });

  t.test('reports every problem at once, never the value', async (t) => {
    const planted = plantValue();
    const model = new SettingsModel(schema, { APP_POOL_MAX: `x${planted}` });
    const { problems } = model.resolve(views({ SMTP_PORT: planted, LEVEL: 'loud' }));
    const byName = Object.fromEntries(problems.map((p) => [p.name, p.reason]));
    t.same(Object.keys(byName).sort(), ['HOST', 'LEVEL', 'SMTP_PORT', 'db.pool.max']);
    t.match(byName.HOST, /is required but no source has it and APP_HOST is not set/);
    t.match(byName.SMTP_PORT, /port/);
    t.notOk(JSON.stringify(problems).includes(planted), 'no value in a problem');
  });

  t.test('a schema without settings resolves to an empty object', async (t) => {
    t.same(new SettingsModel({ A: { format: 'secret', default: null } }, {}).resolve(new Map()), { settings: {}, problems: [] });
  });
});

t.test('Function: checkSchema', async (t) => {
  t.test('accepts nested groups of settings', async (t) => {
    t.doesNotThrow(() => checkSchema(schema));
  });
  const cases: [string, unknown, RegExp][] = [
    ['a secret inside a group', { db: { password: { format: String, default: null, sensitive: true } } }, /db\.password is a secret inside a group/],
    ['a group leaf without default (convict reads it as a group)', { db: { host: { format: String } } }, /db\.host\.format needs a "default"/],
    ['a bad group key', { db: { 'h st': { default: 1 } } }, /group keys are/],
  ];
  for (const [label, s, re] of cases) t.throws(() => checkSchema(s), { code: 'E_SCHEMA_LOAD', message: re }, label);
});

function candidate(rt: SecretsRuntime, o: Record<string, string>): Map<string, RawValue> {
  return new Map(Object.entries(o).map(([k, v]) => [k, { slice: rt.arena.copyIn(Buffer.from(v)), source: 'test' }]));
}

t.test('Object: config (through the runtime)', async (t) => {
  const previous = getRuntime();
  t.teardown(() => setRuntime(previous));
  setRuntime(undefined);
  t.throws(() => config.get('SMTP_PORT'), { code: 'E_NOT_LOADED' }, 'before the preload');
  t.notOk(config.has('SMTP_PORT'));

  const parts = splitSchema(schema, { APP_HOST: 'h' });
  const rt = new SecretsRuntime(new SchemaValidator(parts.flat), {}, parts.settings);
  t.teardown(() => rt.zeroAll());
  t.same(rt.sourceNames, ['DB_PASSWORD', 'API_KEY', 'SMTP_PORT', 'DEBUG', 'LEVEL', 'HOST', 'db.pool.max', 'db.name']);
  setRuntime(rt);
  t.equal(rt.apply(candidate(rt, { DB_PASSWORD: 'pw', API_KEY: 'abcd' })).kind, 'loaded');
  const typed = typedConfig<typeof schema>();

  t.test('get returns typed values; has; getProperties has no secret', async (t) => {
    t.equal(config.get('SMTP_PORT'), 587);
    t.equal(typed.get('db.pool.max'), 10);
    t.same(config.get('db'), { pool: { max: 10 }, name: 'app' });
    t.ok(config.has('db.pool'));
    t.notOk(config.has('DB_PASSWORD'));
    t.notOk('DB_PASSWORD' in config.getProperties());
    t.equal(String(config), '[config]');
  });

  t.test('a secret is refused; an unknown path too', async (t) => {
    t.throws(() => config.get('DB_PASSWORD'), { code: 'E_SECRET_VIA_CONFIG', message: /secrets\.use/ });
    t.throws(() => config.get('API_KEY'), { code: 'E_SECRET_VIA_CONFIG' });
    t.throws(() => config.get('SMTP_PRT'), { code: 'E_UNKNOWN_SETTING' });
  });

  t.test('settings hot-swap with the secrets as one snapshot; rotated names them', async (t) => {
    const events: RotatedEvent[] = [];
    rt.on('rotated', (e) => events.push(e));
    t.equal(rt.apply(candidate(rt, { DB_PASSWORD: 'pw2', API_KEY: 'abcd', SMTP_PORT: '2525', 'db.pool.max': '30' })).kind, 'rotated');
    t.same(events.at(-1)?.names, ['DB_PASSWORD', 'SMTP_PORT', 'db.pool.max']);
    t.equal(config.get('SMTP_PORT'), 2525);
    t.equal(config.get('db.pool.max'), 30);
    t.equal(rt.entry('DB_PASSWORD').slice.view.toString(), 'pw2');
  });

  t.test('an invalid setting rejects the whole candidate: secrets and settings stay', async (t) => {
    const rejected: string[][] = [];
    rt.on('rejected', (e) => rejected.push(e.names));
    t.equal(rt.apply(candidate(rt, { DB_PASSWORD: 'pw3', API_KEY: 'abcd', SMTP_PORT: '99999' })).kind, 'rejected');
    t.same(rejected, [['SMTP_PORT']]);
    t.equal(config.get('SMTP_PORT'), 2525);
    t.equal(rt.entry('DB_PASSWORD').slice.view.toString(), 'pw2');
  });
});

t.test('Function: loadSchema of a TypeScript file the runtime cannot load says what to do', async (t) => {
  const dir = tmpdir(t);
  // An enum needs a transform, not just type stripping: no Node loads it without a loader. Plain node (this test
  // process has tap's TypeScript hook), through the built package.
  fs.writeFileSync(path.join(dir, 'schema.ts'), 'enum Port { Smtp = 587 }\nexport default { SMTP_PORT: { format: "port", default: Port.Smtp } };\n');
  const script = `try { require(${JSON.stringify(path.join(__dirname, '..', '..', 'dist', 'schema', 'loadSchema.js'))}).loadSchema(${JSON.stringify(path.join(dir, 'schema.ts'))}) } catch (e) { process.stdout.write(JSON.stringify({ code: e.code, message: e.message })) }`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  t.match(JSON.parse(r.stdout), { code: 'E_SCHEMA_LOAD', message: /TypeScript schema loads only where Node strips types .* or under a loader \(node --import tsx\)/ });
});
