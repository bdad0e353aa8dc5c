'use strict';
module.exports = {
  JWT_KEY: { format: 'secret', default: null, sensitive: true },
  SMTP_HOST: { format: String, default: 'localhost', env: 'SMTP_HOST' },
  SMTP_PORT: { format: 'port', default: 587, env: 'SMTP_PORT' },
};
