import t from 'tap';
import { removeSecretVariables } from '../../src/preload/preload';
import { readSettings } from '../../src/preload/settings';
import { parseSources } from '../../src/sources/parseSources';

t.test('Function: parseSources', async (t) => {
  const table: [string, unknown][] = [
    ['file:///mnt/secrets-store', [{ kind: 'file', dir: '/mnt/secrets-store' }]],
    ['/mnt/a, env:', [{ kind: 'file', dir: '/mnt/a' }, { kind: 'env', prefix: '' }]],
    ['env:?prefix=APP_', [{ kind: 'env', prefix: 'APP_' }]],
    ['aws://us-east-1/app/', [{ kind: 'provider', uri: 'aws://us-east-1/app/' }]],
  ];
  for (const [input, expected] of table) t.match(parseSources(input), expected, input);
  const fo = parseSources('aws://us-east-1/app/|aws://us-west-2/app/');
  t.equal(fo[0]?.kind === 'provider' && fo[0].failover?.uri, 'aws://us-west-2/app/');
  const bad: [string | undefined, RegExp][] = [
    [undefined, /SECRETS_SOURCE is not set/],
    ['  ', /not set/],
    [',', /lists no source/],
    ['not a uri', /is not a URI/],
    ['vault://user:pass@host/secret', /credentials are not allowed/],
    ['file://remote/dir', /must be local/],
    ['file:///', /needs a directory/],
    ['env:?prefix=A-B', /prefix may only/],
    ['aws://a|aws://b|aws://c', /more than one failover/],
    ['file:///a|aws://b', /only for provider sources/],
  ];
  for (const [input, message] of bad) t.throws(() => parseSources(input), { code: 'E_CONFIG', message }, String(input));
  try {
    parseSources('vault://root:S3CRET@host/x');
  } catch (e) {
    t.notOk((e as Error).message.includes('S3CRET'), 'credentials never echoed');
  }
});

t.test('Function: readSettings', async (t) => {
  const base = { SECRETS_SOURCE: 'file:///mnt/s', SECRETS_SCHEMA: 'schema.js' };
  const s = readSettings(base);
  t.equal(s.isProduction, true, 'NODE_ENV unset: production guards on');
  t.equal(s.maxFileBytes, 65536);
  t.equal(s.shouldStripTrailingNewline, true);
  t.equal(s.shouldRequireMlock, false);
  t.equal(s.logDestination, 'stderr');
  const custom = readSettings({ ...base, SECRETS_MAX_FILE_BYTES: '1024', SECRETS_STRIP_TRAILING_NEWLINE: 'false', SECRETS_REQUIRE_MLOCK: 'yes', SECRETS_LOG_LEVEL: 'debug', SECRETS_WATCH: '0', SECRETS_POLL_MS: '60000' });
  t.match(custom, { maxFileBytes: 1024, shouldStripTrailingNewline: false, shouldRequireMlock: true, logLevel: 'debug', shouldWatch: false, pollMs: 60000 });
  t.throws(() => readSettings({ ...base, SECRETS_MAX_FILE_BYTES: 'lots' }), { code: 'E_CONFIG', message: /SECRETS_MAX_FILE_BYTES must be an integer/ });
  t.throws(() => readSettings({ ...base, SECRETS_WATCH: 'maybe' }), { message: /true or false/ });
  t.throws(() => readSettings({ SECRETS_SOURCE: 'file:///x' }), { message: /SECRETS_SCHEMA is not set/ });
  t.throws(() => readSettings({ ...base, SECRETS_SOURCE: 'file:///x,env:', NODE_ENV: 'production' }), { code: 'E_ENV_IN_PRODUCTION' });
  t.equal(readSettings({ ...base, SECRETS_SOURCE: 'env:', NODE_ENV: 'development' }).sources[0]?.kind, 'env');
});

t.test('Function: readSettings: the production guard is on unless NODE_ENV is exactly development or test', async (t) => {
  const base = { SECRETS_SOURCE: 'file:///mnt/s,env:', SECRETS_SCHEMA: 'schema.js' };
  for (const nodeEnv of ['development', 'test']) {
    const s = readSettings({ ...base, NODE_ENV: nodeEnv });
    t.equal(s.isProduction, false, nodeEnv);
    t.equal(s.sources[1]?.kind, 'env', `${nodeEnv}: env: allowed`);
  }
  for (const nodeEnv of ['production', 'prod', 'staging', 'Development', 'dev', ' development', '', undefined]) {
    t.throws(() => readSettings({ ...base, ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }) }), { code: 'E_ENV_IN_PRODUCTION', message: /allowed only when NODE_ENV is exactly development or test/ }, `NODE_ENV ${JSON.stringify(nodeEnv)}: env: refused`);
    t.equal(readSettings({ SECRETS_SOURCE: 'file:///mnt/s', SECRETS_SCHEMA: 'x', ...(nodeEnv === undefined ? {} : { NODE_ENV: nodeEnv }) }).isProduction, true, `NODE_ENV ${JSON.stringify(nodeEnv)} is production`);
  }
  t.throws(() => readSettings({ ...base }), { message: /\(NODE_ENV is not set\)/ });
});

t.test('Function: parseSources: malformed escapes are a ConfigError (found by fuzzing)', async (t) => {
  t.throws(() => parseSources('file:///%'), { code: 'E_CONFIG', message: /malformed %-escape/ });
  t.match(parseSources('file:///mnt/a%20b'), [{ kind: 'file', dir: '/mnt/a b' }]);
});

t.test('Function: removeSecretVariables', async (t) => {
  const env: NodeJS.ProcessEnv = { DB_PASSWORD: 'a', DATABASE_PASSWORD: 'b', KEY: 'c', PORT: '80', PLAIN: 'd', PATH: '/bin' };
  const removed = removeSecretVariables(
    {
      DB_PASSWORD: { format: String, default: null, sensitive: true, env: 'DATABASE_PASSWORD' },
      KEY: { format: 'secret-hex', default: null },
      PORT: { format: 'port', default: 80, env: 'PORT' },
      PLAIN: { format: String, default: null },
      ABSENT: { format: 'secret', default: null },
    },
    env,
  );
  t.same(removed, ['DB_PASSWORD', 'DATABASE_PASSWORD', 'KEY'], 'names of secrets and their convict env names, in schema order');
  t.same(Object.keys(env).sort(), ['PATH', 'PLAIN', 'PORT'], 'settings and unrelated variables stay');
});
