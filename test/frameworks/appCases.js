'use strict';
// The same assertions for every runner: `test` and `expect` come from the runner (Jest, Vitest, or an adapter
// over node:test). Each case installs its own values and restores them.
const { createHmac } = require('node:crypto');
const { installSecrets } = require('../../dist/testing/index.js');
const app = require('./app.js');
const schema = require('./schema.js');

const hmac = (key, body) => createHmac('sha256', key).update(body).digest('hex');

module.exports = function appCases({ test, expect }) {
  test('reads installed secrets and settings, defaults applied and coerced', () => {
    const installed = installSecrets({ schema, values: { JWT_KEY: 'test-key' }, settings: { SMTP_HOST: 'mail.test' } });
    try {
      expect(app.sign('body')).toBe(hmac('test-key', 'body'));
      expect(app.smtpUrl()).toBe('smtp://mail.test:587');
    } finally {
      installed.restore();
    }
    expect(app.isLoaded()).toBe(false);
  });

  test('emits rotated on demand with the new values in place', () => {
    const installed = installSecrets({ schema, values: { JWT_KEY: 'k1' } });
    try {
      const seen = [];
      app.onRotated((e) => seen.push({ names: e.names, signature: app.sign('b'), url: app.smtpUrl() }));
      installed.rotate({ values: { JWT_KEY: 'k2' }, settings: { SMTP_PORT: 2525 } });
      expect(seen).toEqual([{ names: ['JWT_KEY', 'SMTP_PORT'], signature: hmac('k2', 'b'), url: 'smtp://localhost:2525' }]);
    } finally {
      installed.restore();
    }
  });

  test('a value the schema refuses is refused, as at start', () => {
    expect(() => installSecrets({ schema, values: {} })).toThrow(/JWT_KEY: is required/);
  });
};
