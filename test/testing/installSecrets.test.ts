import t from 'tap';
import { config } from '../../src/config/Config';
import { secrets } from '../../src/api/Secrets';
import { getRuntime, setRuntime } from '../../src/runtime/runtimeSlot';
import { installSecrets } from '../../src/testing/installSecrets';

t.test('Function: installSecrets', async (t) => {
  t.test('without a schema: the values and settings as given; rotate and restore', async (t) => {
    const before = getRuntime();
    const installed = installSecrets({ values: { TOKEN: 'a', BIN: Buffer.from([1, 2]) }, settings: { PORT: 8080, db: { host: 'h' }, 'db.port': 5432 } });
    t.ok(secrets.isLoaded && secrets.isWatching);
    t.equal(secrets.reveal('TOKEN'), 'a');
    t.same(secrets.use('BIN', (v) => [...v]), [1, 2]);
    t.equal(config.get('PORT'), 8080);
    t.same(config.get('db'), { host: 'h', port: 5432 });
    const seen: string[][] = [];
    secrets.on('rotated', (e) => seen.push(e.names));
    t.same(installed.rotate({ values: { TOKEN: 'b' }, settings: { db: { host: 'h2' } } }), { kind: 'rotated', names: ['TOKEN', 'db.host'] });
    t.same(seen, [['TOKEN', 'db.host']]);
    t.equal(config.get('db.host'), 'h2');
    t.throws(() => installed.rotate({ settings: { NEW: 1 } }), { message: /NEW is not a setting/ });
    installed.restore();
    t.equal(getRuntime(), before, 'the previous runtime is back');
  });

  t.test('with a schema: validated, defaults apply; a refused rotation keeps the last values', async (t) => {
    const previous = getRuntime();
    setRuntime(undefined);
    t.teardown(() => setRuntime(previous));
    const schema = { KEY: { format: 'secret', default: null, sensitive: true, minBytes: 2 }, PORT: { format: 'port', default: 587, env: 'PORT' } };
    t.throws(() => installSecrets({ schema, values: { KEY: 'x' } }), { code: 'E_VALIDATION' });
    const installed = installSecrets({ schema, values: { KEY: 'xy' }, env: { PORT: '25' } });
    t.equal(config.get('PORT'), 25, 'env given explicitly');
    const rejected: string[][] = [];
    secrets.on('rejected', (e) => rejected.push(e.names));
    t.equal(installed.rotate({ values: { KEY: 'z' } }).kind, 'rejected');
    t.same(rejected, [['KEY']]);
    t.equal(secrets.reveal('KEY'), 'xy');
    t.same(installed.rotate({ settings: { PORT: 2525 } }), { kind: 'rotated', names: ['PORT'] }, 'a settings-only change rotates too');
    t.equal(config.get('PORT'), 2525);
    installed.restore();
    t.notOk(secrets.isLoaded);
  });
});
