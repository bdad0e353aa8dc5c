import t from 'tap';
import { ConfigError, ForbiddenError, isSecretsError, SecretsError, ValidationError } from '../../src/errors';

t.test('Class: SecretsError', async (t) => {
  t.test('carries a stable code and the subclass name', async (t) => {
    const e = new ConfigError('SECRETS_SOURCE is not set.');
    t.equal(e.code, 'E_CONFIG');
    t.equal(e.name, 'ConfigError');
    t.ok(e instanceof SecretsError);
    t.ok(isSecretsError(e));
    t.notOk(isSecretsError(new Error('x')));
    t.notOk(isSecretsError(null));
  });
  t.test('is recognised across realms by its brand', async (t) => {
    const foreign = Object.create(null) as Record<symbol, unknown>;
    foreign[Symbol.for('@valuecanvas/secrets.SecretsError')] = true;
    t.ok(isSecretsError(foreign));
  });
  t.test('serialises problems and permission without values', async (t) => {
    const v = new ValidationError([{ name: 'A', reason: 'is required' }]);
    t.same(v.toJSON().problems, [{ name: 'A', reason: 'is required' }]);
    t.match(v.message, /A: is required/);
    const f = new ForbiddenError('secrets:read');
    t.equal(f.toJSON().permission, 'secrets:read');
    t.match(f.message, /secrets:read/);
  });
});
