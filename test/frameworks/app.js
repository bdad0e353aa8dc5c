'use strict';
// A tiny app module, as an app would write it: secrets through `use`, settings through `config`.
// The framework tests below exercise it under Jest, Vitest and node:test.
const { createHmac } = require('node:crypto');
const { config, secrets } = require('../../dist/index.js');

module.exports.smtpUrl = () => `smtp://${config.get('SMTP_HOST')}:${config.get('SMTP_PORT')}`;
module.exports.sign = (body) => secrets.use('JWT_KEY', (key) => createHmac('sha256', key).update(body).digest('hex'));
module.exports.isLoaded = () => secrets.isLoaded;
module.exports.onRotated = (fn) => secrets.on('rotated', fn);
