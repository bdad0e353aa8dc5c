'use strict';
/* global test, expect */
// Run under the preload (NODE_OPTIONS=--require=…/register): the runtime the preload loaded before Jest started
// must be reachable from Jest's per-file module registry.
const app = require('./app.js');

test('the preload-loaded secrets and settings are visible inside Jest', () => {
  expect(app.isLoaded()).toBe(true);
  expect(app.smtpUrl()).toBe(`smtp://${process.env.EXPECT_HOST}:587`);
  expect(app.sign('body')).toBe(process.env.EXPECT_SIGNATURE);
});
